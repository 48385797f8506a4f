"""Lodestone's exception tree. Every message tells the user what to do next.

    LodestoneError
    ├── SettingInvalid          a LODESTONE_* variable has a bad value
    ├── QuestionInvalid         empty, too long, or binary question
    ├── CorpusError
    │   ├── DocumentUnreadable  one file can't be read (reported, skipped)
    │   ├── FileTooLarge        a file over a size limit: bytes or chunks (reported, skipped)
    │   └── FrontMatterInvalid  metadata of a document is wrong (file + field)
    ├── IndexError_
    │   ├── IndexNotBuilt       no index yet
    │   ├── IndexCorrupt        the index on disk can't be opened
    │   └── ChromaUnavailable   the Chroma server (LODESTONE_CHROMA_URL) is out of reach
    ├── GeneratorError          the optional LLM backend failed (answer falls back)
    ├── WebUnavailable          the web chat can't listen on its address
    ├── SlackRequestRefused     a request to the Slack endpoint is forged, stale, too big or malformed
    ├── LoginThrottled          too many wrong web logins from one address
    ├── ConversationNotFound    no such conversation for this user (deleted, or another's)
    ├── FeedbackInvalid         a feedback record is missing what it needs
    └── ScreeningError
        ├── NameInvalid          a name to screen is empty, too long or binary (a batch skips the row)
        ├── ScreeningFileInvalid a names file can't be read, has no name column, or a bad output name
        └── AuditUnavailable     the screening audit store can't be opened or written

Front ends catch ``LodestoneError`` and show ``str(error)``; anything else is a bug.
"""


class LodestoneError(Exception):
    """Base of every error a user may see."""


class SettingInvalid(LodestoneError):
    pass


class QuestionInvalid(LodestoneError):
    pass


class CorpusError(LodestoneError):
    pass


class DocumentUnreadable(CorpusError):
    def __init__(self, path, reason: str):
        self.path, self.reason = str(path), reason
        super().__init__(f"Skipped {path}: {reason}")


class FileTooLarge(CorpusError):
    def __init__(self, path, size: int, limit: int, unit: str = "bytes", setting: str = "LODESTONE_MAX_FILE_BYTES"):
        self.path, self.size, self.limit = str(path), size, limit
        super().__init__(f"Skipped {path}: {size:,} {unit} is over the limit of {limit:,} {unit} (raise {setting} to index it)")


class FrontMatterInvalid(CorpusError):
    def __init__(self, path, field: str, problem: str):
        self.path, self.field = str(path), field
        super().__init__(f"{path}: front matter field '{field}' {problem}")


class IndexError_(LodestoneError):
    pass


class IndexNotBuilt(IndexError_):
    def __init__(self, path):
        super().__init__(f"No index at {path}. Run: lodestone index build")


class IndexCorrupt(IndexError_):
    def __init__(self, path, reason: str):
        super().__init__(f"The index at {path} can't be read ({reason}). Run: lodestone index build (it repairs the damage)")


class ChromaUnavailable(IndexError_):
    def __init__(self, url: str, reason: str):
        super().__init__(
            f"Can't reach the Chroma server at {url} ({reason}). Start it with "
            f"'chroma run --path DIR --host 127.0.0.1 --port 8000', or unset LODESTONE_CHROMA_URL to use local files."
        )


class GeneratorError(LodestoneError):
    pass


class WebUnavailable(LodestoneError):
    pass


class LoginThrottled(LodestoneError):
    def __init__(self, seconds: int):
        self.seconds = seconds
        super().__init__(f"Too many wrong logins from your address. Wait {seconds} s, then try again.")


class ConversationNotFound(LodestoneError):
    def __init__(self, conversation: str):
        self.conversation = conversation
        super().__init__("That conversation is not in your history (it may have been deleted). Start a new one.")


class FeedbackInvalid(LodestoneError):
    pass


class SlackRequestRefused(LodestoneError):
    """``status`` is the HTTP status the request gets: 401 forged or stale, 413 too big, 400 malformed."""

    def __init__(self, status: int, reason: str):
        self.status, self.reason = status, reason
        super().__init__(f"Slack request refused ({status}): {reason}")


class ScreeningError(LodestoneError):
    pass


class NameInvalid(ScreeningError):
    pass


class ScreeningFileInvalid(ScreeningError):
    pass


class AuditUnavailable(ScreeningError):
    def __init__(self, path, reason: str):
        super().__init__(f"Can't use the screening audit store at {path} ({reason}). Check LODESTONE_DATA_DIR is writable.")
