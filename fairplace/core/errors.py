"""The one domain error of the house style: services raise a subclass whose ``message`` is
French and shown to the user as is."""


class DomainError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
