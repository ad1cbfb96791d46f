from portal.errors import DomainError


class EarlyChildhoodError(DomainError):
    """A rule of pre-enrolment, the commission or a crèche contract refused the operation (French message)."""
