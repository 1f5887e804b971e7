package audit

// Action names what an event records. The actions are a closed list
// (Actions): Append refuses any other, so a misspelt action fails its
// test instead of starting a series nobody searches for. docs/security.md
// lists them with what each records; TestActionsAreDocumented keeps the
// two in step.
type Action string

// The actions.
const (
	AccountCreated           Action = "account_created"
	AccountFrozenByOwner     Action = "account_frozen_by_owner"
	AccountUnfrozen          Action = "account_unfrozen"
	AdminAuthFail            Action = "admin_auth_fail"
	ApplicationSubmitted     Action = "application_submitted"
	ApplicationApproved      Action = "application_approved"
	ApplicationRejected      Action = "application_rejected"
	ApplicationCancelled     Action = "application_cancelled"
	ApplicationExpired       Action = "application_expired"
	ApplicationClaimed       Action = "application_claimed"
	ApplicationReleased      Action = "application_released"
	ApplicationFirstApproval Action = "application_first_approval"
	ApplicationRead          Action = "application_screenshots_read"
	DocumentViewed           Action = "document_viewed"
	AuthnCodeSent            Action = "authn_code_sent"
	AuthnCodeFail            Action = "authn_code_fail"
	AuthnLoginFail           Action = "authn_login_fail"
	AuthnLoginSuccess        Action = "authn_login_success"
	AuthnPasswordOK          Action = "authn_password_ok"
	DemoAccountRenewed       Action = "demo_account_renewed"
	ExcessRateLimit          Action = "excess_rate_limit_exceeded"
	MobileBindStarted        Action = "mobile_bind_started"
	MobileBindCompleted      Action = "mobile_bind_completed"
	MobileBindCancelled      Action = "mobile_bind_cancelled"
	MobileChangeStarted      Action = "mobile_change_started"
	MobileChangeCompleted    Action = "mobile_change_completed"
	MobileChangeCancelled    Action = "mobile_change_cancelled"
	ResetStarted             Action = "mobile_reset_started"
	ResetEmailVerified       Action = "mobile_reset_email_verified"
	ResetQuizIssued          Action = "mobile_reset_quiz_issued"
	ResetQuizFailed          Action = "mobile_reset_quiz_failed"
	ResetCompleted           Action = "mobile_reset_completed"
	ResetCancelled           Action = "mobile_reset_cancelled"
	PasswordResetStarted     Action = "password_reset_started"
	PasswordResetUnknown     Action = "password_reset_unknown_email"
	PasswordResetDone        Action = "password_reset_completed"
	SecretRekeyed            Action = "secret_rekeyed"
	SessionRevoked           Action = "session_revoked"
	StaffAdded               Action = "staff_added"
	StaffEnrolled            Action = "staff_enrolled"
	StaffDisabled            Action = "staff_disabled"
	StaffLoginSuccess        Action = "staff_login_success"
	StaffLoginFail           Action = "staff_login_fail"
	StaffLogout              Action = "staff_logout"
)

// Actions is every action with what its events record.
var Actions = map[Action]string{
	AccountCreated:           "the exchange created an account through the admin API",
	AccountFrozenByOwner:     "the owner followed a \"This wasn't me\" link: account frozen, flows cancelled, sessions ended",
	AccountUnfrozen:          "staff lifted a freeze through the admin API",
	AdminAuthFail:            "a wrong admin token (up to the per-address limit)",
	ApplicationSubmitted:     "documents were sent for review (class, pictures, flagged findings); the owner was told",
	ApplicationApproved:      "staff approved an application (who); the reset's outcome follows as mobile_reset_completed",
	ApplicationRejected:      "staff rejected an application (who, the reason); the owner was told",
	ApplicationCancelled:     "an application ended because its reset was cancelled (sign-in with the phone, \"This wasn't me\", a new reset)",
	ApplicationExpired:       "an application reached its deadline without a decision; the owner was told",
	ApplicationClaimed:       "a staff member claimed an application to work on it (who; from whom, when a supervisor reassigned it)",
	ApplicationReleased:      "a staff member gave up their claim on an application",
	ApplicationFirstApproval: "the first of the two approvals a high-value account needs (who); a different supervisor gives the second",
	ApplicationRead:          "the server read an application's screenshots with OCR and added its findings (how many, how many flagged, whether OCR was installed); no text read is recorded",
	DocumentViewed:           "staff opened a picture of an application (who, which)",
	AuthnCodeSent:            "a one-time code was sent (purpose and masked destination)",
	AuthnCodeFail:            "a wrong, expired or used-up code was entered",
	AuthnLoginFail:           "a sign-in failed: wrong password, unknown email, frozen account",
	AuthnLoginSuccess:        "a sign-in completed; a session began",
	AuthnPasswordOK:          "the password of a sign-in was right; the second factor follows",
	DemoAccountRenewed:       "a tester renewed a named demo account (dev mode only)",
	ExcessRateLimit:          "a request was refused by a limit",
	MobileBindStarted:        "binding a number began",
	MobileBindCompleted:      "a number was bound (or refused: bound to another account)",
	MobileBindCancelled:      "binding a number was cancelled by its user",
	MobileChangeStarted:      "changing the number began",
	MobileChangeCompleted:    "the number was changed (or refused: bound to another account)",
	MobileChangeCancelled:    "changing the number was cancelled by its user",
	ResetStarted:             "a mobile reset began: email and password right",
	ResetEmailVerified:       "the reset's email code was right; the bound phone was told",
	ResetQuizIssued:          "security questions were handed out (one chance used)",
	ResetQuizFailed:          "security questions were answered wrong; the owner was told",
	ResetCompleted:           "a reset succeeded: number unbound, withdrawals held, sessions ended",
	ResetCancelled:           "a reset was cancelled by its user",
	PasswordResetStarted:     "a password reset began for an account's email",
	PasswordResetUnknown:     "a password reset was asked for an email with no account",
	PasswordResetDone:        "a password was reset: sessions ended, withdrawals held",
	SecretRekeyed:            "the operator sealed the stored secrets again under the current server secret (`rebind secret rekey`): the secret's id and the previous ones accepted, how many staff TOTP secrets and document keys were sealed again, kept, or open under no accepted secret (result failed)",
	SessionRevoked:           "a user signed out",
	StaffAdded:               "a staff member was added with a role and a one-time enrolment link (by whom: an admin in the console, or the operator's command)",
	StaffEnrolled:            "a staff member set their password and TOTP through their enrolment link; the link is spent",
	StaffDisabled:            "a staff member was disabled (by whom); their sessions and enrolment links ended",
	StaffLoginSuccess:        "a staff member signed in to the console with password and TOTP code; a staff session began",
	StaffLoginFail:           "a staff sign-in failed: unknown email, wrong password, wrong or already used code, disabled member",
	StaffLogout:              "a staff member signed out of the console",
}
