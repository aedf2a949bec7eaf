// MailSync: IMAP sync and SMTP submission (issue #4). It knows nothing of the CRM: it turns mailboxes into
// synced message records and a cursor; Connectord turns those into captured activities.
import NIOCore

/// The IMAP port with implicit TLS.
public let defaultIMAPSPort = 993
