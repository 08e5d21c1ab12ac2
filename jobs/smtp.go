package jobs

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
	gosmtp "github.com/wneessen/go-mail/smtp"

	"plaza/models"
)

// TLS modes of an SMTP connection.
const (
	TLSImplicit      = "implicit"      // smtps://: TLS from the first byte
	TLSStartRequired = "required"      // smtp://: STARTTLS, refuse to send without it
	TLSStartOptional = "opportunistic" // smtp://...?starttls=opportunistic: STARTTLS when offered
	TLSOff           = "off"           // smtp://...?starttls=off: plain text (a local relay)
)

// smtpTimeout bounds connecting and each command, so a stalled server
// holds up one mail run, not the queue.
const smtpTimeout = 30 * time.Second

// SMTP says where and as whom Plaza sends email. It comes from
// PLAZA_SMTP_URL:
//
//	smtp://user:pass@host:587?from=plaza@example.com   STARTTLS, required (port 587 by default)
//	smtps://user:pass@host:465?from=plaza@example.com  TLS from the start (port 465 by default)
//	smtp://relay:25?from=plaza@example.com&starttls=opportunistic
//	smtp://localhost:25?from=plaza@example.com&starttls=off
//
// User and password are optional (no authentication without them) and must
// be URL-escaped. from may be left out when the user name is an email address.
type SMTP struct {
	Host     string
	Port     int
	Username string
	Password string
	From     string
	TLS      string // TLSImplicit, TLSStartRequired, TLSStartOptional or TLSOff
}

// ParseSMTPURL reads a PLAZA_SMTP_URL.
func ParseSMTPURL(raw string) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url's message repeats the URL, password included.
		return nil, errors.New("PLAZA_SMTP_URL is not a URL")
	}
	s := &SMTP{Host: u.Hostname()}
	q := u.Query()
	switch u.Scheme {
	case "smtps":
		s.TLS, s.Port = TLSImplicit, 465
		if q.Has("starttls") {
			return nil, errors.New("PLAZA_SMTP_URL: starttls applies to smtp://, not smtps:// (which is TLS from the start)")
		}
	case "smtp":
		s.TLS, s.Port = TLSStartRequired, 587
		switch v := strings.ToLower(q.Get("starttls")); v {
		case "", "required", "true", "on", "1":
		case "opportunistic":
			s.TLS = TLSStartOptional
		case "off", "false", "0", "none":
			s.TLS = TLSOff
		default:
			return nil, fmt.Errorf("PLAZA_SMTP_URL: starttls=%q: use required, opportunistic or off", v)
		}
	default:
		return nil, fmt.Errorf("PLAZA_SMTP_URL: scheme %q: use smtp:// (STARTTLS) or smtps:// (TLS)", u.Scheme)
	}
	if s.Host == "" {
		return nil, errors.New("PLAZA_SMTP_URL names no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("PLAZA_SMTP_URL: port %q is not a port number", p)
		}
		s.Port = n
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	s.From = q.Get("from")
	if s.From == "" && strings.Contains(s.Username, "@") {
		s.From = s.Username
	}
	if s.From == "" {
		return nil, errors.New("PLAZA_SMTP_URL needs the sender address: add ?from=plaza@your.domain")
	}
	if _, err := mail.ParseAddress(s.From); err != nil {
		return nil, fmt.Errorf("PLAZA_SMTP_URL: from=%q is not an email address", s.From)
	}
	if s.Username != "" && s.TLS == TLSOff && !isLoopback(s.Host) {
		return nil, errors.New("PLAZA_SMTP_URL: starttls=off would send the password unencrypted; use STARTTLS or smtps://")
	}
	return s, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// String describes the server without the password, for logs.
func (s *SMTP) String() string {
	scheme := "smtp"
	if s.TLS == TLSImplicit {
		scheme = "smtps"
	}
	return fmt.Sprintf("%s://%s (from %s, tls %s)", scheme, net.JoinHostPort(s.Host, strconv.Itoa(s.Port)), s.From, s.TLS)
}

// client builds the go-mail client for s.
func (s *SMTP) client() (*gomail.Client, error) {
	opts := []gomail.Option{gomail.WithPort(s.Port), gomail.WithTimeout(smtpTimeout)}
	switch s.TLS {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSStartRequired:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSStartOptional:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.Username != "" {
		// The strongest mechanism the server offers, PLAIN and LOGIN only
		// over TLS. Without TLS (a relay on this machine: ParseSMTPURL
		// allows no other) go-mail's discovery skips them, so name them.
		auth := gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover)
		if s.TLS == TLSOff {
			auth = gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1,
				gomail.SMTPAuthCramMD5, gomail.SMTPAuthPlain, gomail.SMTPAuthLogin)
		}
		opts = append(opts, auth, gomail.WithUsername(s.Username), gomail.WithPassword(s.Password))
	}
	return gomail.NewClient(s.Host, opts...)
}

// mailSession sends the emails of one mail run over one connection, opened
// at the first email and closed by close.
type mailSession struct {
	cfg    *SMTP
	client *gomail.Client
	conn   *gosmtp.Client
}

func (s *SMTP) session() (*mailSession, error) {
	c, err := s.client()
	if err != nil {
		return nil, fmt.Errorf("smtp client: %w", err)
	}
	return &mailSession{cfg: s, client: c}, nil
}

// send delivers one email. A recipient the server refuses for good (a 5xx
// reply to RCPT TO) is models.ErrPermanent; anything else is retried later.
func (ms *mailSession) send(ctx context.Context, m models.Mail) error {
	msg := gomail.NewMsg()
	if err := msg.From(ms.cfg.From); err != nil {
		return fmt.Errorf("from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("to %q: %w: %w", m.To, models.ErrPermanent, err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	// RFC 3834: out-of-office replies and the like stay away.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)

	if ms.conn == nil {
		conn, err := ms.client.DialToSMTPClientWithContext(ctx)
		if err != nil {
			return fmt.Errorf("connect to %s:%d: %w", ms.cfg.Host, ms.cfg.Port, err)
		}
		ms.conn = conn
	}
	err := ms.client.SendWithSMTPClient(ms.conn, msg)
	if err == nil {
		return nil
	}
	if msg.IsDelivered() {
		// Accepted; only the reset after it failed. Sending it again would
		// be the duplicate.
		ms.close()
		return nil
	}
	var se *gomail.SendError
	if errors.As(err, &se) && se.Reason == gomail.ErrSMTPRcptTo && se.ErrorCode() >= 500 && se.ErrorCode() < 600 {
		// The session is still good: go-mail reset it for the next email.
		return fmt.Errorf("%w: %w", models.ErrPermanent, err)
	}
	// The connection may be in any state: start the next email afresh.
	ms.close()
	return err
}

// close says goodbye to the server, if connected.
func (ms *mailSession) close() {
	if ms.conn != nil {
		_ = ms.client.CloseWithSMTPClient(ms.conn)
		ms.conn = nil
	}
}
