// AsteriskAMI: the Asterisk Manager Interface protocol library (issue #3). It knows nothing of the CRM: it turns
// AMI traffic into finished call records and a cursor; Connectord turns those into captured activities.
import NIOCore

/// The TCP port Asterisk's manager listens on by default.
public let defaultAMIPort = 5038
