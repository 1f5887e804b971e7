// Package config reads rebind's configuration from environment variables
// (and the few flags that override them) into one typed struct, validated
// once at start. Production mode refuses every development default.
package config

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rebindhq/rebind/internal/keys"
	"github.com/rebindhq/rebind/internal/tlsclient"
)

// DefaultDatabaseURL is the database when REBIND_DATABASE_URL is unset: a
// SQLite file in the working folder's data directory.
const DefaultDatabaseURL = "sqlite:data/rebind.db"

// Config is everything rebind is configured with.
type Config struct {
	Production bool
	// Addr is the public listener: pages, the user API, health checks.
	Addr string
	// InternalAddr is the internal listener: the admin API, /metrics,
	// health checks and the staff console.
	InternalAddr string
	DatabaseURL  string
	DataDir      string
	BlobURL      string // the bucket of uploaded documents (internal/blob)
	BaseURL      *url.URL
	// StaffURL is the staff console's address as staff reach it, for its
	// enrolment links; https gives its cookies Secure and __Host-.
	StaffURL *url.URL
	Brand    string
	// AdminToken authenticates the exchange's services on the admin API.
	AdminToken string
	// Secret is the server secret all keys are derived from, with the
	// previous secrets still accepted (REBIND_SECRET_PREVIOUS).
	Secret   *keys.Ring
	SMTPURL  string
	MailFrom string
	SMSURL   string
	SMSFrom  string
	// SMTPTLS and SMSTLS are the PEM files of each connection: CA
	// certificates added to the system roots, and a client certificate.
	SMTPTLS tlsclient.Files
	SMSTLS  tlsclient.Files
	// SMTPHELO is the name sent in EHLO; by default REBIND_BASE_URL's host.
	SMTPHELO       string
	TrustedProxies []netip.Prefix
	AllowSQLite    bool
	Demo           bool
	LogLevel       slog.Level

	// SMS limits beyond the per-destination ones (SMS pumping).
	SMSCountries         []string
	SMSBudgetDay         int
	SMSPerCallingCodeDay int
	SMSPerPrefixDay      int

	QuizEnabled bool
	// CaptchaOff switches the slider puzzle before an SMS to a new number
	// off (REBIND_CAPTCHA=off), for load tests of the change flow; Load
	// refuses it in production.
	CaptchaOff bool
	// QuizKinds are the enabled question kinds; empty means all.
	QuizKinds []string

	// ReviewTime is how soon staff decide a document application, in
	// words; ReviewDeadline is when an undecided one expires, and
	// DocumentRetention how long its pictures are kept after it ends.
	ReviewTime     string
	ReviewDeadline time.Duration
	// ReviewTarget is ReviewTime as a duration, for the staff console: an
	// application's age is shown green under half of it, amber under it,
	// red past it.
	ReviewTarget      time.Duration
	DocumentRetention time.Duration
	// OCRCommand is the program that reads the screenshots' text
	// (tesseract), a name in PATH or a path; "off" reads none.
	OCRCommand string
	// DocumentsWindow is how long a reset stays open once its documents
	// are asked for.
	DocumentsWindow time.Duration
	// OutboxLease is how long an instance holds a message it is sending
	// before another instance may take it over.
	OutboxLease time.Duration
	// ShutdownDelay is how long serve keeps answering after SIGTERM with
	// /readyz at 503, so a load balancer stops sending before the
	// listeners close.
	ShutdownDelay time.Duration
	// PasswordQueueWait is the longest expected wait for an argon2id worker
	// at which a password check is admitted; beyond it, 503 at once.
	PasswordQueueWait time.Duration
	// PasswordNice is the nice value the argon2id hashes run at, each on
	// an OS thread of its own (Linux); 0 runs them at the server's own
	// priority, in the request's goroutine.
	PasswordNice int
	// SecondApprovalUSD is the value of an account's balances above which
	// approving its documents needs a second approval.
	SecondApprovalUSD *big.Rat

	WithdrawalHold  time.Duration
	SessionIdle     time.Duration
	SessionAbsolute time.Duration

	// Retention: how long rows that are done with are kept before the
	// retention job deletes them (internal/app, retention.go).
	Retention Retention

	// Generated lists the dev secrets that were generated or read back from
	// the data folder, to print at start.
	Generated []string

	// effective is every setting as Load took it, secrets redacted.
	effective map[string]string
}

// Effective returns every setting as it took effect (the default where
// unset), with secrets and the passwords of URLs redacted, for the log
// line at start.
func (c *Config) Effective() map[string]string {
	out := make(map[string]string, len(c.effective))
	for k, v := range c.effective {
		out[k] = v
	}
	return out
}

// redact returns how a setting's value may be logged: a secret only as
// set or not (and where from), a URL without its password.
func redact(name, v, path string) string {
	from := ""
	if path != "" {
		from = " from " + path
	}
	switch name {
	case "REBIND_SECRET", "REBIND_SECRET_PREVIOUS", "REBIND_ADMIN_TOKEN":
		if v == "" {
			return ""
		}
		return "(set" + from + ")"
	case "REBIND_SMTP_URL", "REBIND_SMS_URL", "REBIND_DATABASE_URL", "REBIND_BLOB_URL":
		u, err := url.Parse(v)
		if err != nil {
			return "(unparsable" + from + ")"
		}
		r := u.Redacted()
		if u.RawQuery != "" {
			// A query may carry a password too (postgres://…?password=).
			r = strings.TrimSuffix(r, "?"+u.RawQuery) + "?(query redacted)"
		}
		if from != "" {
			r += " (" + strings.TrimPrefix(from, " ") + ")"
		}
		return r
	}
	return v
}

// Retention is how long each kind of row that is done with is kept.
type Retention struct {
	// Codes: codes past their expiry whose flow has expired too.
	Codes time.Duration
	// Flows: expired flows, except those a document application refers to.
	Flows time.Duration
	// Outbox: messages sent, failed or expired.
	Outbox time.Duration
	// Sessions: ended sessions.
	Sessions time.Duration
}

// MinRetainCodes is the shortest REBIND_RETAIN_CODES. It is longer than
// the longest window of any limit on codes (a day: the daily destination
// limits and SMS budgets, aligned to midnight UTC), so that, should a limit
// ever count codes rows instead of rate_counters, no row it counts is gone
// yet; the rows that do count (a slot's wrong entries and sends) stay while
// their flow lives whatever the period (code.Purge).
const MinRetainCodes = 48 * time.Hour

// DevOutbox reports whether messages go to the dev outbox instead of out.
func (c *Config) DevOutbox() bool { return c.SMTPURL == "" || c.SMSURL == "" }

// Variables is the documented list of environment variables, in README order.
var Variables = []struct{ Name, Default, Meaning string }{
	{"REBIND_ENV", "dev", "`dev` or `production`; production refuses every dev default below"},
	{"REBIND_ADDR", "127.0.0.1:8080", "public listen address: pages, user API, `/healthz`, `/readyz`"},
	{"REBIND_INTERNAL_ADDR", "127.0.0.1:8081", "internal listen address: admin API, `/metrics`, `/healthz`, `/readyz`; reachable by the exchange's services and monitoring only, never the internet"},
	{"REBIND_DATABASE_URL", DefaultDatabaseURL, "`postgres://…`, `sqlite:///abs/path.db` or `sqlite:rel/path.db`"},
	{"REBIND_DATA_DIR", "data", "folder for documents and dev secrets"},
	{"REBIND_BLOB_URL", "file://<REBIND_DATA_DIR>/documents", "where uploaded documents are kept, sealed: `file:///abs/folder` or `file://./rel/folder` (made private: 0700, files 0600), or `s3://bucket?region=R` (S3; add `&endpoint=https://host&use_path_style=true` for an S3-compatible store; credentials from `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` or the instance role, never in the URL) — several instances need s3://; `mem://` for tests only"},
	{"REBIND_BASE_URL", "http://<REBIND_ADDR>", "canonical site address used in links; https required in production"},
	{"REBIND_STAFF_URL", "http://<REBIND_INTERNAL_ADDR>", "the staff console's address as staff reach it (it is served on the internal listener under `/staff`), used in enrolment links; with https its cookies get `Secure` and the `__Host-` prefix"},
	{"REBIND_BRAND", "Rebind", "brand name shown in pages and messages (at most 24 characters)"},
	{"REBIND_SECRET", "generated in dev", "server secret, base64 of at least 32 random bytes (repeated or counting bytes are refused); required in production"},
	{"REBIND_SECRET_PREVIOUS", "none", "comma-separated secrets still accepted besides `REBIND_SECRET` (at most 2), for a rotation without loss: what was sealed or signed under them still opens and verifies, everything new uses `REBIND_SECRET` (docs/operations.md, \"Rotating the server secret\")"},
	{"REBIND_ADMIN_TOKEN", "generated in dev", "bearer token of the admin API, at least 32 random characters (repeated or counting characters are refused); required in production"},
	{"REBIND_SMTP_URL", "dev outbox", "`smtp://user:pass@host:587` (STARTTLS) or `smtps://user:pass@host:465`"},
	{"REBIND_MAIL_FROM", "Rebind <no-reply@rebind.invalid>", "sender of emails"},
	{"REBIND_SMTP_CA_FILE", "system roots only", "PEM bundle of CA certificates trusted for the SMTP server in addition to the system roots (a private CA); checked at start"},
	{"REBIND_SMTP_CLIENT_CERT_FILE", "none", "PEM client certificate presented to the SMTP server, with `REBIND_SMTP_CLIENT_KEY_FILE` (both or neither)"},
	{"REBIND_SMTP_CLIENT_KEY_FILE", "none", "PEM private key of `REBIND_SMTP_CLIENT_CERT_FILE`"},
	{"REBIND_SMTP_HELO", "host of `REBIND_BASE_URL`", "the name rebind gives in SMTP `EHLO`/`HELO`"},
	{"REBIND_SMS_URL", "dev outbox", "Twilio-compatible API, `https://SID:TOKEN@host`"},
	{"REBIND_SMS_FROM", "Rebind", "sender id or number of SMS"},
	{"REBIND_SECRET_FILE", "none", "read `REBIND_SECRET` from this file instead (a systemd credential, a container secret); likewise `REBIND_SECRET_PREVIOUS_FILE`, `REBIND_ADMIN_TOKEN_FILE`, `REBIND_SMTP_URL_FILE` and `REBIND_SMS_URL_FILE`; setting a variable and its `_FILE` both is an error"},
	{"REBIND_SECRET_PREVIOUS_FILE", "none", "see `REBIND_SECRET_FILE`"},
	{"REBIND_ADMIN_TOKEN_FILE", "none", "see `REBIND_SECRET_FILE`"},
	{"REBIND_SMTP_URL_FILE", "none", "see `REBIND_SECRET_FILE`"},
	{"REBIND_SMS_URL_FILE", "none", "see `REBIND_SECRET_FILE`"},
	{"REBIND_SMS_CA_FILE", "system roots only", "PEM bundle of CA certificates trusted for the SMS API in addition to the system roots (a private CA); checked at start"},
	{"REBIND_SMS_CLIENT_CERT_FILE", "none", "PEM client certificate presented to the SMS API, with `REBIND_SMS_CLIENT_KEY_FILE` (both or neither)"},
	{"REBIND_SMS_CLIENT_KEY_FILE", "none", "PEM private key of `REBIND_SMS_CLIENT_CERT_FILE`"},
	{"REBIND_TRUSTED_PROXIES", "none", "comma-separated CIDRs whose X-Forwarded-For is believed; `0.0.0.0/0` and `::/0` are refused, and production over https warns at start when it is empty; the effective list is logged at start"},
	{"REBIND_ALLOW_SQLITE", "false", "allow SQLite in production (one instance only)"},
	{"REBIND_DEMO", "true in dev", "create the named demo accounts at start (each only if missing)"},
	{"REBIND_LOG_LEVEL", "info", "`debug`, `info`, `warn` or `error`"},
	{"REBIND_SMS_COUNTRIES", "all", "comma-separated ISO 3166 alpha-2 regions SMS may go to (the countries the exchange serves)"},
	{"REBIND_SMS_BUDGET_DAY", "50000", "SMS the whole service may send a day; past it sends are refused and an alert is logged"},
	{"REBIND_SMS_PER_CALLING_CODE_DAY", "5000", "SMS to one country calling code a day"},
	{"REBIND_SMS_PER_PREFIX_DAY", "10", "SMS to numbers sharing all but their last 4 digits, a day"},
	{"REBIND_CAPTCHA", "slider", "`slider`, or `off` to send the SMS to a new number without the puzzle, for load tests (`rebind loadtest`); refused in production"},
	{"REBIND_QUIZ_ENABLED", "true", "offer security questions in a mobile reset; false leaves documents only"},
	{"REBIND_QUIZ_KINDS", "all", "comma-separated question kinds to use (see docs/security.md); switch `withdrawal_addresses` off if the exchange's withdrawal emails show addresses or transaction ids, `products_used` off unless the checks of docs/security.md hold"},
	{"REBIND_WITHDRAWAL_HOLD", "24h", "withdrawal hold after a security change"},
	{"REBIND_REVIEW_TIME", "within 72 hours", "how soon staff decide a document application, as told to users"},
	{"REBIND_REVIEW_TARGET", "72h", "the review time as a duration, for the staff console's queue: an application's age shows green under half of it, amber under it, red past it; at most `REBIND_REVIEW_DEADLINE`"},
	{"REBIND_REVIEW_DEADLINE", "168h", "a document application not decided this long after it was sent expires (the user is told and may apply again)"},
	{"REBIND_DOCUMENTS_WINDOW", "24h", "a reset stays open this long once its documents page is opened, to write the statement and take the pictures (the online steps have 30 minutes)"},
	{"REBIND_REVIEW_SECOND_APPROVAL_USD", "10000", "an account whose balances are worth more than this (US dollars, from the `usd_value` the activity push may carry) needs two approvals of a document reset, the second by a different supervisor"},
	{"REBIND_DOCUMENT_RETENTION", "2160h", "uploaded pictures are destroyed this long after their application ends (90 days); hashes, findings and the decision stay"},
	{"REBIND_OCR_COMMAND", "tesseract", "the program that reads the text of email and transaction screenshots for the reviewers' findings (Debian: `apt-get install tesseract-ocr tesseract-ocr-eng`), a name in `PATH` or a path; `off`, or a program not installed, reads none and the findings say so"},
	{"REBIND_OUTBOX_LEASE", "1m", "how long an instance holds a message it is sending; after a crash another instance takes the message over once this has passed (a send is given at most half of it, so a slow provider is not sent a message twice)"},
	{"REBIND_SHUTDOWN_DELAY", "0s", "after SIGTERM, how long to keep serving with `/readyz` answering `503` before the listeners close and the requests in flight finish (up to 10 s more); set it above your load balancer's health-check interval times its failure threshold (0s–5m)"},
	{"REBIND_PASSWORD_NICE", "10", "argon2id hashes run each on an OS thread of their own at this nice value (Linux), with half as many Go processors again as the CPUs for the rest of the server, so a burst of sign-ins takes only the CPU that nothing else wants: refusals, codes and withdrawal checks stay fast under it, at the cost of about 12 % of the sign-ins a saturated 2-CPU machine completes (docs/benchmarks.md); `0` runs hashes at the server's priority in the request's goroutine (0–19)"},
	{"REBIND_PASSWORD_QUEUE_WAIT", "1s", "a password check waits for a free argon2id worker only if its expected wait (the hashes queued ahead of it, at the recent hash time) is at most this; beyond it the request is answered `503` with `Retry-After: 1` at once, so excess load is refused in microseconds and memory stays bounded (50ms–10s)"},
	{"REBIND_SESSION_IDLE", "30m", "session ends after this long unused"},
	{"REBIND_SESSION_ABSOLUTE", "12h", "session ends this long after sign-in"},
	{"REBIND_RETAIN_CODES", "72h", "verification codes (their hash and destination) are deleted this long after they expired, once their flow has expired too; at least 48h, longer than the daily limits' window (48h–2160h)"},
	{"REBIND_RETAIN_FLOWS", "720h", "flows (sign-ins, resets, changes) are deleted this long after they expired, with their quizzes, once their codes are gone; a reset with a document application is kept (24h–87600h)"},
	{"REBIND_RETAIN_OUTBOX", "168h", "messages sent, failed or expired (their recipients are personal data) are deleted this long after they were queued; waiting ones never (1h–2160h)"},
	{"REBIND_RETAIN_SESSIONS", "0s", "ended sessions (their address and browser) are deleted this long after they ended, within the idle timeout (0s–2160h)"},
}

// Load reads the configuration. Flags, when given, override the
// environment: -addr, -database-url.
func Load(getenv func(string) string, overrides map[string]string) (*Config, error) {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	raw := func(name string) string {
		if v, ok := overrides[name]; ok && v != "" {
			return v
		}
		return strings.TrimSpace(getenv(name))
	}
	c := &Config{effective: map[string]string{}}
	get := func(name, def string) string {
		v := raw(name)
		path := ""
		if FromFile[name] {
			path = raw(name + "_FILE")
			v = fromFile(name, v, path, bad)
		}
		if v == "" {
			v = def
		}
		c.effective[name] = redact(name, v, path)
		return v
	}
	switch env := get("REBIND_ENV", "dev"); env {
	case "dev":
	case "production":
		c.Production = true
	default:
		bad("REBIND_ENV", "must be dev or production, not %q", env)
	}
	c.Addr = get("REBIND_ADDR", "127.0.0.1:8080")
	if _, _, err := splitAddr(c.Addr); err != nil {
		bad("REBIND_ADDR", "%v", err)
	}
	c.InternalAddr = get("REBIND_INTERNAL_ADDR", "127.0.0.1:8081")
	if _, port, err := splitAddr(c.InternalAddr); err != nil {
		bad("REBIND_INTERNAL_ADDR", "%v", err)
	} else if port != 0 && c.InternalAddr == c.Addr {
		bad("REBIND_INTERNAL_ADDR", "must differ from REBIND_ADDR: the admin API must not share the public address")
	}
	c.DatabaseURL = get("REBIND_DATABASE_URL", DefaultDatabaseURL)
	c.DataDir = get("REBIND_DATA_DIR", "data")
	c.BlobURL = get("REBIND_BLOB_URL", folderURL(filepath.Join(c.DataDir, "documents")))
	c.Brand = get("REBIND_BRAND", "Rebind")
	if n := len([]rune(c.Brand)); n > 24 || strings.ContainsAny(c.Brand, "<>\"\r\n") {
		bad("REBIND_BRAND", "must be at most 24 characters of plain text")
	}
	base := get("REBIND_BASE_URL", "http://"+c.Addr)
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		bad("REBIND_BASE_URL", "must be an absolute http(s) URL without a query")
	} else {
		c.BaseURL = u
	}
	staffURL := get("REBIND_STAFF_URL", "http://"+c.InternalAddr)
	if u, err := url.Parse(staffURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" ||
		strings.Trim(u.Path, "/") != "" {
		bad("REBIND_STAFF_URL", "must be an absolute http(s) URL without a path or query")
	} else {
		c.StaffURL = u
	}
	c.SMTPURL, c.MailFrom = get("REBIND_SMTP_URL", ""), get("REBIND_MAIL_FROM", "Rebind <no-reply@rebind.invalid>")
	c.SMSURL, c.SMSFrom = get("REBIND_SMS_URL", ""), get("REBIND_SMS_FROM", "Rebind")
	c.SMTPTLS = tlsFiles(get, "REBIND_SMTP", bad)
	c.SMSTLS = tlsFiles(get, "REBIND_SMS", bad)
	if c.SMTPHELO = get("REBIND_SMTP_HELO", ""); c.SMTPHELO == "" && c.BaseURL != nil {
		c.SMTPHELO = heloDefault(c.BaseURL.Hostname())
	}
	if c.SMTPHELO != "" && !isHostName(c.SMTPHELO) {
		bad("REBIND_SMTP_HELO", "must be a host name (letters, digits, '-' and '.') or an address literal like [192.0.2.1]")
	}
	c.AdminToken = get("REBIND_ADMIN_TOKEN", "")
	if c.AdminToken != "" && len(c.AdminToken) < 32 {
		bad("REBIND_ADMIN_TOKEN", "must be at least 32 characters")
	} else if c.AdminToken != "" && entropyBits([]byte(c.AdminToken)) < minTokenBits {
		bad("REBIND_ADMIN_TOKEN", "looks guessable (repeated or counting characters); use a random value, e.g. openssl rand -base64 32")
	}
	if s := get("REBIND_SECRET", ""); s != "" {
		c.Secret = parseSecret(s, "REBIND_SECRET", bad)
	}
	var previous []*keys.Ring
	for _, s := range strings.Split(get("REBIND_SECRET_PREVIOUS", ""), ",") {
		if s = strings.TrimSpace(s); s != "" {
			if r := parseSecret(s, "REBIND_SECRET_PREVIOUS", bad); r != nil {
				previous = append(previous, r)
			}
		}
	}
	if len(previous) > 0 && c.Secret == nil {
		bad("REBIND_SECRET_PREVIOUS", "needs REBIND_SECRET: a previous secret is accepted beside the current one")
	} else if len(previous) > 0 {
		if r, err := c.Secret.Accepting(previous...); err != nil {
			bad("REBIND_SECRET_PREVIOUS", "%v", err)
		} else {
			c.Secret = r
		}
	}
	for _, p := range strings.Split(get("REBIND_TRUSTED_PROXIES", ""), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			addr, aerr := netip.ParseAddr(p)
			if aerr != nil {
				bad("REBIND_TRUSTED_PROXIES", "%q is not a CIDR or an address", p)
				continue
			}
			prefix = netip.PrefixFrom(addr, addr.BitLen())
		}
		if prefix.Bits() == 0 {
			// Every peer would be a proxy: any client could name its own
			// address in X-Forwarded-For and leave every per-address limit.
			bad("REBIND_TRUSTED_PROXIES", "%q trusts every address, so any client could choose the address the limits count; name your proxies' addresses", p)
			continue
		}
		c.TrustedProxies = append(c.TrustedProxies, prefix.Masked())
	}
	c.AllowSQLite = parseBool(get("REBIND_ALLOW_SQLITE", "false"), "REBIND_ALLOW_SQLITE", bad)
	c.Demo = parseBool(get("REBIND_DEMO", strconv.FormatBool(!c.Production)), "REBIND_DEMO", bad)
	if err := c.LogLevel.UnmarshalText([]byte(get("REBIND_LOG_LEVEL", "info"))); err != nil {
		bad("REBIND_LOG_LEVEL", "must be debug, info, warn or error")
	}
	if countries := get("REBIND_SMS_COUNTRIES", "all"); countries != "all" {
		for _, r := range strings.Split(countries, ",") {
			r = strings.ToUpper(strings.TrimSpace(r))
			if len(r) != 2 || r[0] < 'A' || r[0] > 'Z' || r[1] < 'A' || r[1] > 'Z' {
				bad("REBIND_SMS_COUNTRIES", "%q is not an ISO 3166 alpha-2 code", r)
				continue
			}
			c.SMSCountries = append(c.SMSCountries, r)
		}
	}
	c.SMSBudgetDay = parseCount(get("REBIND_SMS_BUDGET_DAY", "50000"), "REBIND_SMS_BUDGET_DAY", bad)
	c.SMSPerCallingCodeDay = parseCount(get("REBIND_SMS_PER_CALLING_CODE_DAY", "5000"), "REBIND_SMS_PER_CALLING_CODE_DAY", bad)
	c.SMSPerPrefixDay = parseCount(get("REBIND_SMS_PER_PREFIX_DAY", "10"), "REBIND_SMS_PER_PREFIX_DAY", bad)
	c.QuizEnabled = parseBool(get("REBIND_QUIZ_ENABLED", "true"), "REBIND_QUIZ_ENABLED", bad)
	switch v := get("REBIND_CAPTCHA", "slider"); v {
	case "slider":
	case "off":
		c.CaptchaOff = true
	default:
		bad("REBIND_CAPTCHA", "must be slider or off, not %q", v)
	}
	if kinds := get("REBIND_QUIZ_KINDS", "all"); kinds != "all" {
		for _, k := range strings.Split(kinds, ",") {
			c.QuizKinds = append(c.QuizKinds, strings.TrimSpace(k))
		}
	}
	c.WithdrawalHold = parseDuration(get("REBIND_WITHDRAWAL_HOLD", "24h"), "REBIND_WITHDRAWAL_HOLD", time.Hour, 30*24*time.Hour, bad)
	c.ReviewTime = get("REBIND_REVIEW_TIME", "within 72 hours")
	if len(c.ReviewTime) > 60 || strings.ContainsAny(c.ReviewTime, "<>\r\n") {
		bad("REBIND_REVIEW_TIME", "must be at most 60 characters of plain text")
	}
	c.ReviewDeadline = parseDuration(get("REBIND_REVIEW_DEADLINE", "168h"), "REBIND_REVIEW_DEADLINE", time.Hour, 90*24*time.Hour, bad)
	c.ReviewTarget = parseDuration(get("REBIND_REVIEW_TARGET", "72h"), "REBIND_REVIEW_TARGET", time.Hour, 90*24*time.Hour, bad)
	if c.ReviewDeadline > 0 && c.ReviewTarget > c.ReviewDeadline {
		bad("REBIND_REVIEW_TARGET", "must not be longer than REBIND_REVIEW_DEADLINE: an application expires at its deadline")
	}
	c.OutboxLease = parseDuration(get("REBIND_OUTBOX_LEASE", "1m"), "REBIND_OUTBOX_LEASE", 5*time.Second, time.Hour, bad)
	c.DocumentsWindow = parseDuration(get("REBIND_DOCUMENTS_WINDOW", "24h"), "REBIND_DOCUMENTS_WINDOW", 30*time.Minute, 7*24*time.Hour, bad)
	if v, ok := new(big.Rat).SetString(get("REBIND_REVIEW_SECOND_APPROVAL_USD", "10000")); ok && v.Sign() >= 0 {
		c.SecondApprovalUSD = v
	} else {
		bad("REBIND_REVIEW_SECOND_APPROVAL_USD", "must be a decimal number of US dollars, 0 or more")
	}
	c.DocumentRetention = parseDuration(get("REBIND_DOCUMENT_RETENTION", "2160h"), "REBIND_DOCUMENT_RETENTION", time.Hour, 10*365*24*time.Hour, bad)
	c.OCRCommand = get("REBIND_OCR_COMMAND", "tesseract")
	c.ShutdownDelay = parseDuration(get("REBIND_SHUTDOWN_DELAY", "0s"), "REBIND_SHUTDOWN_DELAY", 0, 5*time.Minute, bad)
	c.PasswordNice = parseNice(get("REBIND_PASSWORD_NICE", "10"), "REBIND_PASSWORD_NICE", bad)
	c.PasswordQueueWait = parseDuration(get("REBIND_PASSWORD_QUEUE_WAIT", "1s"), "REBIND_PASSWORD_QUEUE_WAIT", 50*time.Millisecond, 10*time.Second, bad)
	c.SessionIdle = parseDuration(get("REBIND_SESSION_IDLE", "30m"), "REBIND_SESSION_IDLE", time.Minute, 24*time.Hour, bad)
	c.SessionAbsolute = parseDuration(get("REBIND_SESSION_ABSOLUTE", "12h"), "REBIND_SESSION_ABSOLUTE", time.Minute, 30*24*time.Hour, bad)
	c.Retention = Retention{
		Codes:    parseDuration(get("REBIND_RETAIN_CODES", "72h"), "REBIND_RETAIN_CODES", MinRetainCodes, 90*24*time.Hour, bad),
		Flows:    parseDuration(get("REBIND_RETAIN_FLOWS", "720h"), "REBIND_RETAIN_FLOWS", 24*time.Hour, 10*365*24*time.Hour, bad),
		Outbox:   parseDuration(get("REBIND_RETAIN_OUTBOX", "168h"), "REBIND_RETAIN_OUTBOX", time.Hour, 90*24*time.Hour, bad),
		Sessions: parseDuration(get("REBIND_RETAIN_SESSIONS", "0s"), "REBIND_RETAIN_SESSIONS", 0, 90*24*time.Hour, bad),
	}
	if c.Production {
		c.refuseDevDefaults(bad)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("configuration: %w", errors.Join(errs...))
	}
	return c, nil
}

// FromFile names the settings that may also be read from a file, named by
// the setting's name with _FILE added: the secrets, as systemd credentials
// and container secrets provide them.
var FromFile = map[string]bool{"REBIND_SECRET": true, "REBIND_SECRET_PREVIOUS": true, "REBIND_ADMIN_TOKEN": true,
	"REBIND_SMTP_URL": true, "REBIND_SMS_URL": true}

// fromFile returns the value of name: value, or the content of path when
// the _FILE variable is set instead (its surrounding space trimmed).
func fromFile(name, value, path string, bad func(string, string, ...any)) string {
	if path == "" {
		return value
	}
	if value != "" {
		bad(name+"_FILE", "set, and %s too; set only one of them", name)
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil {
		bad(name+"_FILE", "%v", err)
		return ""
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		bad(name+"_FILE", "%s is empty", path)
	}
	return v
}

// parseSecret reads a server secret as name gives it, or reports why not.
func parseSecret(s, name string, bad func(string, string, ...any)) *keys.Ring {
	ring, err := keys.Parse(s)
	if err != nil {
		bad(name, "%v", err)
		return nil
	}
	if raw, _ := keys.Decode(s); entropyBits(raw) < minSecretBits {
		bad(name, "looks guessable (repeated or counting bytes); use random bytes, e.g. openssl rand -base64 32")
		return nil
	}
	return ring
}

// refuseDevDefaults lists what production must set explicitly.
func (c *Config) refuseDevDefaults(bad func(name, format string, args ...any)) {
	if c.Secret == nil {
		bad("REBIND_SECRET", "required in production (generated secrets are for dev only)")
	}
	if c.AdminToken == "" {
		bad("REBIND_ADMIN_TOKEN", "required in production")
	}
	if c.SMTPURL == "" {
		bad("REBIND_SMTP_URL", "required in production (the dev outbox is for dev only)")
	}
	if c.SMSURL == "" {
		bad("REBIND_SMS_URL", "required in production (the dev outbox is for dev only)")
	}
	if strings.HasPrefix(c.DatabaseURL, "sqlite:") && !c.AllowSQLite {
		bad("REBIND_DATABASE_URL", "production needs postgres:// (or REBIND_ALLOW_SQLITE=true for a single instance)")
	}
	if c.BaseURL != nil && c.BaseURL.Scheme != "https" {
		bad("REBIND_BASE_URL", "must be https in production")
	}
	if c.CaptchaOff {
		bad("REBIND_CAPTCHA", "off is for load tests only; production always asks for the slider puzzle")
	}
	if c.Demo {
		bad("REBIND_DEMO", "demo accounts are for dev only")
	}
	if strings.HasPrefix(c.BlobURL, "mem:") {
		bad("REBIND_BLOB_URL", "mem:// loses every document at restart; it is for tests only")
	}
}

// Warnings are settings that start but are probably wrong, for serve to
// log at start.
func (c *Config) Warnings() []string {
	var w []string
	if c.Production && c.BaseURL != nil && c.BaseURL.Scheme == "https" && len(c.TrustedProxies) == 0 {
		w = append(w, "REBIND_TRUSTED_PROXIES is empty while REBIND_BASE_URL is https: if TLS ends at a proxy, "+
			"every client has the proxy's address and the per-address limits refuse them all together; name the proxy's addresses")
	}
	return w
}

// EnsureDevSecrets fills a missing server secret and admin token in dev
// mode, keeping them in the data folder (mode 0600) so they survive a
// restart: quiz options and stored code hashes depend on the secret.
func (c *Config) EnsureDevSecrets() error {
	if c.Production {
		return nil
	}
	if c.Secret == nil {
		path := filepath.Join(c.DataDir, "secret.key")
		enc, err := readOrCreate(path, 32)
		if err != nil {
			return err
		}
		if c.Secret, err = keys.Parse(enc); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		c.Generated = append(c.Generated, "dev server secret kept in "+path)
	}
	if c.AdminToken == "" {
		path := filepath.Join(c.DataDir, "admin.token")
		tok, err := readOrCreate(path, 32)
		if err != nil {
			return err
		}
		c.AdminToken = tok
		c.Generated = append(c.Generated, "dev admin token kept in "+path)
	}
	return nil
}

func readOrCreate(path string, n int) (string, error) {
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	raw := make([]byte, n)
	rand.Read(raw)
	enc := base64.RawURLEncoding.EncodeToString(raw)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		// Another instance created it first.
		b, rerr := os.ReadFile(path)
		return strings.TrimSpace(string(b)), rerr
	}
	if err != nil {
		return "", fmt.Errorf("create %s: %w", path, err)
	}
	defer f.Close()
	if _, err := f.WriteString(enc + "\n"); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return enc, nil
}

// folderURL writes a local folder as the file:// URL internal/blob opens: a
// relative folder as file://./rel, an absolute one as file:///abs.
func folderURL(dir string) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}
	if !filepath.IsAbs(dir) {
		u.Host, u.Path = ".", "/"+u.Path
	}
	return u.String()
}

func parseBool(s, name string, bad func(string, string, ...any)) bool {
	v, err := strconv.ParseBool(s)
	if err != nil {
		bad(name, "must be true or false")
	}
	return v
}

func parseCount(s, name string, bad func(string, string, ...any)) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 100_000_000 {
		bad(name, "must be a whole number from 1 to 100000000")
	}
	return n
}

func parseNice(s, name string, bad func(string, string, ...any)) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 19 {
		bad(name, "must be a whole number from 0 to 19")
	}
	return n
}

func parseDuration(s, name string, lo, hi time.Duration, bad func(string, string, ...any)) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil || d < lo || d > hi {
		bad(name, "must be a duration between %s and %s", lo, hi)
	}
	return d
}

func splitAddr(addr string) (string, int, error) {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return "", 0, errors.New("must be host:port")
	}
	port, err := strconv.Atoi(addr[i+1:])
	if err != nil || port < 0 || port > 65535 {
		return "", 0, errors.New("port must be a number from 0 to 65535")
	}
	return addr[:i], port, nil
}
