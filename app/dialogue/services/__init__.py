"""The rules of DESIGN.md 4.2 and 4.6 for conversations: who may read and write where, internal notes, read
state, and the batched e-mails about new messages. Module-level functions with an explicit actor; they flush,
never commit.

Who takes part (decided here, documented in the README text of the issue):
- Every visit has one conversation, open to the unit's members from the moment the visit is planned: the unit
  sees the date and the team then (4.1), and practicalities of the planned visit (who to meet, access, documents
  to prepare) belong in it. A finding's conversation opens to the unit with the finding itself, at kommunicering;
  until then it holds only the team's internal notes.
- The unit's members, the review team and coordinators write; other reviewers read along. A member of the unit
  always takes part as the unit, whatever other roles they hold (jäv), and never sees internal notes.
- A closed case's conversations stay readable but take no new messages.
- A new message notifies the other party (the team for the unit's messages, the unit's members for the team's);
  an internal note notifies the rest of the review team. Never the author.

The rules live in one module per job; this package re-exports their public names, so callers write
``from app.dialogue import services`` and ``services.post_message(...)`` whatever module holds it:

* ``threads``: conversations, who takes part, and which messages a person may see;
* ``messages``: posting messages and internal notes with their attachments;
* ``read_state``: read state and unread counts;
* ``summaries``: thread summaries for the conversation lists;
* ``notifications``: who is told about a new message, and each person's notification mode;
* ``notices``: what the other side did (``app.core.notices``), waiting for the batch and written as its lines;
* ``batches``: the batched e-mails about new messages and the other side's moves;
* ``hooks``: session hooks (kept unread counters, removed findings' conversations).
"""

from app.dialogue.services.batches import (
    BATCH_CLAIM,
    BATCH_RESEND_AFTER,
    MAX_BATCH_ATTEMPTS,
    Due,
    NewsLine,
    batch_email,
    batch_news,
    batches_to_resend,
    claim_batch,
    due_recipients,
    finish_batch,
    latest_digest_moment,
    make_batch,
)
from app.dialogue.services.hooks import (
    install,
)
from app.dialogue.services.messages import (
    get_attachment,
    post_message,
)
from app.dialogue.services.notices import (
    NoticeLine,
    notice_lines,
)
from app.dialogue.services.notifications import (
    notification_mode,
    recipients,
    set_notification_mode,
)
from app.dialogue.services.read_state import (
    ThreadView,
    _count_unread,
    count_unread_for_everyone,
    mark_read,
    thread_view,
    unread_by_unit,
    unread_total,
)
from app.dialogue.services.summaries import (
    ThreadSummary,
    _summary_query,
    thread_list,
    thread_page,
    unread_threads,
    visit_summaries,
)
from app.dialogue.services.threads import (
    MAX_TEXT_LENGTH,
    Upload,
    WritePermission,
    find_thread,
    subject,
    thread_path,
    thread_title,
    visible_messages,
    write_permission,
    writer_side,
)

__all__ = [
    "BATCH_CLAIM",
    "BATCH_RESEND_AFTER",
    "MAX_BATCH_ATTEMPTS",
    "MAX_TEXT_LENGTH",
    "Due",
    "NewsLine",
    "NoticeLine",
    "ThreadSummary",
    "ThreadView",
    "Upload",
    "WritePermission",
    "_count_unread",
    "_summary_query",
    "batch_email",
    "batch_news",
    "batches_to_resend",
    "claim_batch",
    "count_unread_for_everyone",
    "due_recipients",
    "find_thread",
    "finish_batch",
    "get_attachment",
    "install",
    "latest_digest_moment",
    "make_batch",
    "mark_read",
    "notice_lines",
    "notification_mode",
    "post_message",
    "recipients",
    "set_notification_mode",
    "subject",
    "thread_list",
    "thread_page",
    "thread_path",
    "thread_title",
    "thread_view",
    "unread_by_unit",
    "unread_threads",
    "unread_total",
    "visible_messages",
    "visit_summaries",
    "write_permission",
    "writer_side",
]
