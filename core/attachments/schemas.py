"""What a platform's upload route takes and returns (core/attachments/service.py)."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class AttachmentIn(BaseModel):
    """One file in a JSON body, base64-encoded (a phone queues whole submissions offline);
    evidence may say where, when and with what it was taken."""

    model_config = ConfigDict(extra="forbid")

    content_type: str = Field(max_length=64, examples=["image/jpeg", "application/pdf"])
    data: str = Field(description="the file, base64-encoded")
    file_name: str | None = Field(default=None, max_length=255)
    taken_at: datetime | None = None
    lon: float | None = None
    lat: float | None = None
    device: str | None = Field(default=None, max_length=128)


class AttachmentOut(BaseModel):
    id: int
    kind: str
    kind_label: str
    file_name: str | None
    content_type: str
    bytes: int
    sha256: str
    uploaded_by: int
    created_at: datetime
    taken_at: datetime | None
    device: str | None
    location: list[float] | None  # [lon, lat], WGS 84
    url: str
    thumbnail_url: str | None
