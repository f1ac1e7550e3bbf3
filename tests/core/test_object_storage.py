"""Evidence files on an object store (S3 API): the STORAGES["default"] that config/settings/base.py builds
from FAIRPLACE_S3_*, against moto's S3 server on 127.0.0.1. Files go through the app's own code paths
(the intake wizard, the antivirus sweep, the export builder, the download views); the bucket is then
inspected with boto3. Nothing here leaves 127.0.0.1."""

import socket
import urllib.error
import urllib.request
import uuid
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from moto.server import ThreadedMotoServer
from storages.backends.s3 import S3Storage

from config.settings.base import private_storage
from fairplace.core.adapters.antivirus import ScanResult
from fairplace.reports import attachments, intake
from fairplace.reports.models import Attachment, ExportJob
from tests.conftest import login_as
from tests.core.test_files import make_png
from tests.reports.wizard import STEP_URL, attach_draft

BUCKET = "fairplace-preuves"
REGION = "eu-west-3"
KEY_ID, SECRET = "fairplace-test-key", "fairplace-test-secret"
PUBLIC_GROUPS = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)
# No proxy, even if the environment names one: every request goes straight to 127.0.0.1.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _isolate_boto(patch: pytest.MonkeyPatch, tmp_dir) -> None:
    """Dummy credentials, no instance-metadata lookup, no ~/.aws files, no proxy, no endpoint override."""
    for name in (
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ):
        patch.delenv(name, raising=False)
    patch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    patch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    patch.setenv("AWS_CONFIG_FILE", str(tmp_dir / "no-aws-config"))
    patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_dir / "no-aws-credentials"))
    patch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory):
    """moto's S3 server in a thread on a free port of 127.0.0.1, with one empty bucket."""
    with pytest.MonkeyPatch.context() as patch:
        _isolate_boto(patch, tmp_path_factory.mktemp("aws"))
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        endpoint = f"http://127.0.0.1:{port}"
        try:
            admin = boto3.client(
                "s3", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET
            )
            admin.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
            yield endpoint
        finally:
            server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings, monkeypatch, tmp_path):
    """The app's default storage is the bucket, configured as production would be (through the
    environment and config.settings.base.private_storage); returns a boto3 client to inspect it."""
    _isolate_boto(monkeypatch, tmp_path)
    secret_file = tmp_path / "s3-secret"
    secret_file.write_text(SECRET + "\n", encoding="utf-8")
    for name, value in {
        "FAIRPLACE_S3_BUCKET": BUCKET,
        "FAIRPLACE_S3_ENDPOINT_URL": s3_endpoint,
        "FAIRPLACE_S3_REGION": REGION,
        "FAIRPLACE_S3_ACCESS_KEY_ID": KEY_ID,
        "FAIRPLACE_S3_SECRET_ACCESS_KEY_FILE": str(secret_file),  # a mounted secret
        "FAIRPLACE_S3_ENCRYPTION": "AES256",
    }.items():
        monkeypatch.setenv(name, value)
    for name in (
        "FAIRPLACE_PRIVATE_STORAGE",
        "FAIRPLACE_S3_SECRET_ACCESS_KEY",
        "FAIRPLACE_S3_PREFIX",
        "FAIRPLACE_S3_ADDRESSING_STYLE",
        "FAIRPLACE_S3_ACL",
    ):
        monkeypatch.delenv(name, raising=False)
    settings.STORAGES = {**settings.STORAGES, "default": private_storage(tmp_path / "unused")}
    assert isinstance(default_storage, S3Storage)
    return boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name=REGION, aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET
    )


def _unsigned_get(url: str) -> int:
    try:
        with HTTP.open(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _signed_get(url: str) -> bytes:
    with HTTP.open(url, timeout=5) as response:
        return response.read()


def _public_grants(client, key: str) -> list:
    grants = client.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
    return [grant for grant in grants if grant["Grantee"].get("URI") in PUBLIC_GROUPS]


@pytest.mark.django_db
def test_a_sellers_evidence_goes_to_the_bucket_and_an_agent_downloads_the_same_bytes(
    bucket, client, complete_draft, personas, monkeypatch
):
    draft = attach_draft(client, complete_draft())
    response = client.post(
        STEP_URL.format("description"),
        {
            "action": "upload",
            "description": "Toutes mes offres ont été retirées sans explication le 2 mars.",
            "attachments": [SimpleUploadedFile("capture.png", make_png())],
        },
    )
    assert response.status_code == 302
    attachment = draft.attachments.get()
    key = f"private/{attachment.file.name}"
    assert attachment.file.name == f"attachments/{attachment.uploaded_at:%Y/%m}/{attachment.id.hex}"
    stored = bucket.get_object(Bucket=BUCKET, Key=key)
    assert stored["Body"].read() == make_png()
    assert stored["ServerSideEncryption"] == "AES256"
    assert _public_grants(bucket, key) == []

    intake.submit_draft(draft.pk, draft.submit_key, ip="192.0.2.1")
    # The worker's antivirus sweep reads the file back from the bucket.
    scanned = []

    class Scanner:
        """Stands in for clamd (tests/core/test_antivirus.py): records what it was given to read."""

        def scan(self, handle):
            scanned.append(handle.read())
            return ScanResult("clean", "")

    monkeypatch.setattr(attachments, "get_scanner", Scanner)
    assert attachments.scan_pending() == 1 and scanned == [make_png()]
    assert Attachment.objects.get().scan_status == "clean"

    agent = login_as(type(client)(), personas, "agent")
    download = agent.get(f"/gestion/pieces/{attachment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == make_png()
    assert 'filename="capture.png"' in download["Content-Disposition"]


@pytest.mark.django_db
def test_an_export_is_built_into_the_bucket_and_streamed_to_its_owner(bucket, client, personas, make_report):
    make_report(state="forwarded")
    agent = login_as(client, personas, "agent")
    response = agent.post(reverse("backoffice:export_create"), {"query": "", "format": "csv"})
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.DONE, job.error
    assert response.url == reverse("backoffice:export_download", args=[job.pk])
    key = f"private/{job.file.name}"
    assert key.startswith("private/exports/")
    in_bucket = bucket.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    download = agent.get(response.url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == in_bucket
    assert in_bucket.startswith(b"\xef\xbb\xbf") and job.row_count == 1
    assert _public_grants(bucket, key) == []


@pytest.mark.django_db
def test_objects_are_private_and_only_a_signed_short_lived_url_reads_them(bucket):
    name = default_storage.save(f"attachments/test/{uuid.uuid4().hex}", ContentFile(b"preuve confidentielle"))
    key = f"private/{name}"
    assert _public_grants(bucket, key) == []
    assert [grant["Permission"] for grant in bucket.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]] == [
        "FULL_CONTROL"
    ]  # the owner (the app's keys) only

    signed = default_storage.url(name)
    parts = urlsplit(signed)
    query = parse_qs(parts.query)
    assert parts.path == f"/{BUCKET}/{key}"  # path style against the endpoint URL
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"] and query["X-Amz-Signature"][0]
    assert query["X-Amz-Expires"] == ["300"]
    assert query["X-Amz-Credential"][0].startswith(f"{KEY_ID}/") and f"/{REGION}/s3/" in query["X-Amz-Credential"][0]

    unsigned = f"{parts.scheme}://{parts.netloc}{parts.path}"
    assert _unsigned_get(unsigned) == 403
    assert _signed_get(signed) == b"preuve confidentielle"
    # Control: moto does answer unsigned requests for an object with a public grant, so the 403 above
    # comes from the object's private ACL, not from a server that refuses every unsigned request.
    bucket.put_object(Bucket=BUCKET, Key="control/public", Body=b"public", ACL="public-read")
    assert _unsigned_get(f"{parts.scheme}://{parts.netloc}/{BUCKET}/control/public") == 200


@pytest.mark.django_db
def test_saving_the_same_name_twice_keeps_both_files(bucket):
    wanted = f"exports/test/{uuid.uuid4().hex}"
    first = default_storage.save(wanted, ContentFile(b"premier"))
    second = default_storage.save(wanted, ContentFile(b"second"))
    assert first == wanted and second != first and second.startswith(f"{wanted}_")
    assert bucket.get_object(Bucket=BUCKET, Key=f"private/{first}")["Body"].read() == b"premier"
    assert bucket.get_object(Bucket=BUCKET, Key=f"private/{second}")["Body"].read() == b"second"
    with default_storage.open(first, "rb") as handle:
        assert handle.read() == b"premier"


def _clear_storage_env(monkeypatch):
    for name in (
        "FAIRPLACE_PRIVATE_STORAGE",
        "FAIRPLACE_S3_BUCKET",
        "FAIRPLACE_S3_ENDPOINT_URL",
        "FAIRPLACE_S3_REGION",
        "FAIRPLACE_S3_ACCESS_KEY_ID",
        "FAIRPLACE_S3_SECRET_ACCESS_KEY",
        "FAIRPLACE_S3_SECRET_ACCESS_KEY_FILE",
        "FAIRPLACE_S3_PREFIX",
        "FAIRPLACE_S3_ADDRESSING_STYLE",
        "FAIRPLACE_S3_ACL",
        "FAIRPLACE_S3_ENCRYPTION",
    ):
        monkeypatch.delenv(name, raising=False)


def test_without_a_bucket_files_stay_in_the_local_folder(monkeypatch, tmp_path):
    _clear_storage_env(monkeypatch)
    assert private_storage(tmp_path) == {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path), "base_url": None},
    }
    monkeypatch.setenv("FAIRPLACE_PRIVATE_STORAGE", "myproject.storages.Shared")
    assert private_storage(tmp_path)["BACKEND"] == "myproject.storages.Shared"


def test_the_bucket_defaults_suit_aws_and_s3_compatible_stores(monkeypatch, tmp_path):
    _clear_storage_env(monkeypatch)
    monkeypatch.setenv("FAIRPLACE_S3_BUCKET", BUCKET)
    on_aws = private_storage(tmp_path)["OPTIONS"]
    assert on_aws["endpoint_url"] is None and on_aws["access_key"] is None  # boto3's own credentials
    assert on_aws["client_config"].s3 == {"addressing_style": "auto"}
    assert (on_aws["location"], on_aws["default_acl"], on_aws["file_overwrite"]) == ("private", "private", False)
    assert on_aws["querystring_auth"] is True and on_aws["querystring_expire"] <= 600
    assert on_aws["object_parameters"] == {}
    monkeypatch.setenv("FAIRPLACE_S3_ENDPOINT_URL", "https://s3.gra.io.cloud.ovh.net")
    monkeypatch.setenv("FAIRPLACE_S3_ADDRESSING_STYLE", "")  # as copied from .env.example
    monkeypatch.setenv("FAIRPLACE_S3_ACL", "")
    elsewhere = private_storage(tmp_path)["OPTIONS"]
    assert elsewhere["client_config"].s3 == {"addressing_style": "path"}
    assert elsewhere["client_config"].request_checksum_calculation == "when_required"
    assert elsewhere["default_acl"] is None


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("FAIRPLACE_PRIVATE_STORAGE", "myproject.storages.Shared", "unset one of them"),
        ("FAIRPLACE_S3_ACL", "public-read", "never public"),
        ("FAIRPLACE_S3_ADDRESSING_STYLE", "dns", "auto, path or virtual"),
        ("FAIRPLACE_S3_ENCRYPTION", "yes", "AES256"),
        ("FAIRPLACE_S3_ENDPOINT_URL", "s3.gra.io.cloud.ovh.net", "not a URL"),
        ("FAIRPLACE_S3_ACCESS_KEY_ID", "only-the-key", "go together"),
    ],
)
def test_a_wrong_object_storage_setting_stops_the_start(monkeypatch, tmp_path, variable, value, message):
    _clear_storage_env(monkeypatch)
    monkeypatch.setenv("FAIRPLACE_S3_BUCKET", BUCKET)
    monkeypatch.setenv(variable, value)
    with pytest.raises(ImproperlyConfigured, match=message):
        private_storage(tmp_path)
