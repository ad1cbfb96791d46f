"""The domain-error hierarchy: services raise these with a French message,
views catch only these and show the message. Anything else is a logged 500."""


class DomainError(Exception):
    """A rule of the domain refused the operation; ``message`` is for the user, in French."""

    def __init__(self, message, *, code=None, details=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details or []

    def __str__(self):
        return self.message


class FamilyError(DomainError):
    pass


class EnrolmentError(DomainError):
    pass


class BookingError(DomainError):
    pass


class BillingError(DomainError):
    pass


class PaymentError(BillingError):
    pass


class MessagingError(DomainError):
    pass


class UploadError(DomainError):
    pass


class IdentityError(DomainError):
    """FranceConnect links and families' own account requests (identity app)."""
