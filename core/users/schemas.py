from pydantic import BaseModel, Field, model_validator

from core.idnumbers import mask_id_number, mask_phone
from core.security import Principal
from core.users.enums import SEES_PERSONAL_DATA, Role
from core.users.models import User


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    refresh_token: str | None = Field(
        None, description="absent when it was set as an HttpOnly cookie (X-Refresh-Cookie: 1)")
    expires_in: int = Field(description="seconds the access token is valid")


class RefreshIn(BaseModel):
    refresh_token: str = Field(min_length=10, max_length=200)


class UserOut(BaseModel):
    id: int
    username: str
    full_name: str
    role: Role
    scope_code: str
    phone: str | None
    id_number: str | None
    is_active: bool
    version: int

    @classmethod
    def for_viewer(cls, user: User, viewer: Principal) -> "UserOut":
        """Phone and ID numbers masked unless the viewer's role needs them."""
        sees = viewer.role in SEES_PERSONAL_DATA or viewer.user_id == user.id
        return cls(id=user.id, username=user.username, full_name=user.full_name,
                   role=Role(user.role), scope_code=user.scope_code,
                   phone=user.phone if sees else mask_phone(user.phone),
                   id_number=user.id_number if sees else mask_id_number(user.id_number),
                   is_active=user.is_active, version=user.version)


class UserCreate(BaseModel):
    username: str = Field(min_length=3, max_length=64)
    password: str = Field(min_length=1, max_length=200)
    role: Role
    scope_code: str = Field(pattern=r"^[0-9]{6,15}$")
    full_name: str = Field("", max_length=100)
    phone: str | None = Field(None, max_length=20)
    id_number: str | None = Field(None, max_length=18)


class UserUpdate(BaseModel):
    version: int = Field(description="the version you read; a stale one gets 409")
    role: Role | None = None
    scope_code: str | None = Field(None, pattern=r"^[0-9]{6,15}$")
    full_name: str | None = Field(None, max_length=100)
    phone: str | None = Field(None, max_length=20)
    id_number: str | None = Field(None, max_length=18)
    is_active: bool | None = None
    password: str | None = Field(None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def no_null_for_required_fields(self) -> "UserUpdate":
        # Absent means "leave as is"; null would mean "erase", which these cannot be.
        for name in ("role", "scope_code", "full_name", "is_active", "password"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null: leave it out to keep it")
        return self


class MembershipOut(BaseModel):
    unit_id: int
    position: str
    platform: str
    department: str | None
    credential_valid: bool


class MeOut(BaseModel):
    user: UserOut
    scope: dict = Field(description="the scope area: code, name, level")
    permissions: list[str]
    # The units the user belongs to and in which position (the pages' queues and buttons).
    memberships: list[MembershipOut] = []
