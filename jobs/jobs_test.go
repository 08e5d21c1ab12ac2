package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"plaza/models"
	"plaza/models/dbtest"
)

const baseURL = "http://plaza.test"

// clock is a settable time source for Store.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// company is a migrated store (River's tables included) with a published
// internal product, its owner, and someone who will ask for it.
type company struct {
	ctx       context.Context
	store     *models.Store
	clock     *clock
	owner     *models.User
	requester *models.User
	product   *models.Product
}

func newCompany(t *testing.T, db *gorm.DB) *company {
	t.Helper()
	ctx := t.Context()
	if err := Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	clk := &clock{now: time.Now().UTC().Truncate(time.Second)}
	s := models.NewStore(db)
	s.Now = clk.Now
	c := &company{ctx: ctx, store: s, clock: clk}

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	admin, err := s.EnsureUser(ctx, "ada@example.com", "Ada Admin", []string{"ada@example.com"})
	must(err)
	_, err = s.CreateDomain(ctx, admin, models.DomainInput{Slug: "sales", Name: "Sales"})
	must(err)
	team, err := s.CreateTeam(ctx, admin, "sales", models.TeamInput{Slug: "orders", Name: "Orders"})
	must(err)
	c.owner, err = s.CreatePerson(ctx, admin, models.PersonInput{Email: "olga@example.com", Name: "Olga Owner"})
	must(err)
	_, err = s.AddMember(ctx, admin, team, c.owner.Email, models.RoleOwner)
	must(err)
	c.requester, err = s.CreatePerson(ctx, admin, models.PersonInput{Email: "rita@example.com", Name: "Rita Requester"})
	must(err)
	p, err := s.CreateProduct(ctx, c.owner, "sales", models.ProductInput{
		Slug: "daily-orders", Name: "Daily orders", Team: "orders", Summary: "Every order, daily.",
		Classification: models.ClassInternal,
		OutputPorts: []models.PortInput{{Name: "Orders", Format: "parquet", Columns: []models.ColumnInput{
			{Name: "order_id", Type: "string", PrimaryKey: true}}}},
	})
	must(err)
	c.product, err = s.SetProductStatus(ctx, c.owner, p, models.StatusPublished, "")
	must(err)
	return c
}

// request has the requester ask for the product for a week.
func (c *company) request(t *testing.T) *models.AccessRequest {
	t.Helper()
	r, err := c.store.RequestAccess(c.ctx, c.requester, c.product, models.AccessRequestInput{
		Ports: []string{"orders"}, Purpose: "The monthly revenue report.", DurationDays: 7})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// start runs the jobs on c's store, sending mail to srv (nil: no mail),
// until the test ends.
func (c *company) start(t *testing.T, srv *smtpServer) *Runner {
	t.Helper()
	cfg := Config{BaseURL: baseURL, fast: true}
	if srv != nil {
		var err error
		cfg.SMTP, err = ParseSMTPURL(srv.url())
		if err != nil {
			t.Fatal(err)
		}
	}
	r, err := Start(c.ctx, c.store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := r.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return r
}

// mailRun wakes the sender and waits until a mail run has finished.
func (r *Runner) mailRun(t *testing.T) {
	t.Helper()
	events, cancel := r.client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer cancel()
	r.WakeMail()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.Job.Kind == (MailArgs{}).Kind() {
				if ev.Kind != river.EventKindJobCompleted {
					t.Fatalf("mail run failed: %v", ev.Job.Errors)
				}
				return
			}
		case <-timeout:
			t.Fatal("no mail run finished")
		}
	}
}

// eventually polls cond until it holds or the time is up.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func outbox(t *testing.T, db *gorm.DB) []models.MailOutbox {
	t.Helper()
	var rows []models.MailOutbox
	if err := db.Order("id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestMailArrivesOnce: a request notifies the product's owner and the
// requester; each email arrives once, through an authenticated session,
// with an absolute link, and a later run sends nothing again.
func TestMailArrivesOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		c := newCompany(t, db)
		srv := startSMTP(t)
		r := c.start(t, srv)
		if !c.store.Mail || c.store.OnMail == nil {
			t.Fatal("Start with SMTP did not turn the store's mail on")
		}

		req := c.request(t)
		msgs := srv.wait(t, 2)
		slices.SortFunc(msgs, func(a, b message) int { return strings.Compare(a.To, b.To) })
		for i, want := range []struct{ to, subject, link string }{
			{c.owner.Email, "[Plaza] Rita Requester asks for Daily orders", baseURL + "/inbox"},
			{c.requester.Email, "[Plaza] Your request for Daily orders was sent", fmt.Sprintf("%s/access/requests/%d", baseURL, req.ID)},
		} {
			m := msgs[i]
			if m.To != want.to || m.Subject != want.subject || m.From != "plaza@example.com" {
				t.Errorf("email %d: from %q to %q %q, want from plaza@example.com to %q %q", i, m.From, m.To, m.Subject, want.to, want.subject)
			}
			if !strings.Contains(m.Body, "Open it in Plaza: "+want.link+"\n") {
				t.Errorf("email to %s does not link to %s:\n%s", m.To, want.link, m.Body)
			}
			if m.User != "mailer" {
				t.Errorf("email to %s sent as %q, want authenticated as mailer", m.To, m.User)
			}
		}

		eventually(t, "both emails marked sent", func() bool {
			_, sent, _, err := c.store.MailStatus(c.ctx)
			return err == nil && sent == 2
		})
		r.mailRun(t)
		if n := len(srv.messages()); n != 2 {
			t.Errorf("%d emails arrived after another run, want still 2", n)
		}
	})
}

// TestMailRetry: a server that says "try later" gets the email again once
// it is due, not before; an address it refuses outright is given up.
func TestMailRetry(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		c := newCompany(t, db)
		srv := startSMTP(t)
		srv.failData(1)               // the owner's email, the first queued
		srv.refuse(c.requester.Email) // for good
		r := c.start(t, srv)

		c.request(t)
		eventually(t, "both emails tried", func() bool {
			rows := outbox(t, db)
			return len(rows) == 2 && rows[0].Attempts > 0 && rows[1].Attempts > 0 && rows[0].LastError != "" && rows[1].LastError != ""
		})
		rows := outbox(t, db)
		owner, requester := rows[0], rows[1]
		if owner.To != c.owner.Email || owner.SentAt != nil || owner.Attempts != 1 || !strings.Contains(owner.LastError, "451") ||
			!owner.NextAttemptAt.After(c.clock.Now()) {
			t.Errorf("owner's email after a 451: %+v, want 1 attempt, the error and a later next attempt", owner)
		}
		if requester.To != c.requester.Email || requester.SentAt != nil || requester.Attempts != 8 || !strings.Contains(requester.LastError, "550") {
			t.Errorf("requester's email after a 550: %+v, want given up (8 attempts) with the error", requester)
		}

		// Not due yet: a run now sends nothing.
		r.mailRun(t)
		if n := len(srv.messages()); n != 0 {
			t.Fatalf("%d emails arrived before the retry was due", n)
		}
		c.clock.Add(3 * time.Minute)
		r.mailRun(t)
		msgs := srv.messages()
		if len(msgs) != 1 || msgs[0].To != c.owner.Email {
			t.Fatalf("after the retry: %+v, want the owner's email once", msgs)
		}
		waiting, sent, failed, err := c.store.MailStatus(c.ctx)
		if err != nil || waiting != 0 || sent != 1 || failed != 1 {
			t.Errorf("outbox: waiting %d, sent %d, failed %d (err %v); want 0, 1, 1", waiting, sent, failed, err)
		}
	})
}

// TestSweepExpiresGrant: the sweep runs when the runner starts and expires
// a grant whose time has come, which emails its holder.
func TestSweepExpiresGrant(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		c := newCompany(t, db)
		req := c.request(t)
		if _, err := c.store.DecideAccess(c.ctx, c.owner, req.ID, models.VerdictApprove, "Fine."); err != nil {
			t.Fatal(err)
		}
		grants, err := c.store.MyGrants(c.ctx, c.requester)
		if err != nil || len(grants) != 1 || grants[0].Status != models.GrantActive {
			t.Fatalf("grants %+v (err %v), want one active", grants, err)
		}
		id := grants[0].ID
		c.clock.Add(8 * 24 * time.Hour)

		srv := startSMTP(t)
		r := c.start(t, srv)
		eventually(t, "the grant expired", func() bool {
			g, err := c.store.GrantByID(c.ctx, id)
			return err == nil && g.Status == models.GrantExpired
		})
		msgs := srv.wait(t, 1)
		if m := msgs[0]; m.To != c.requester.Email || m.Subject != "[Plaza] Your access to Daily orders has expired" ||
			!strings.Contains(m.Body, "Open it in Plaza: "+baseURL+"/products/sales/daily-orders\n") {
			t.Errorf("expiry email: to %q %q\n%s", m.To, m.Subject, m.Body)
		}

		// The run is marked completed a moment after it returns.
		var stats []JobCount
		eventually(t, "Stats to count a completed access_sweep", func() bool {
			var err error
			if stats, err = r.Stats(c.ctx); err != nil {
				t.Fatal(err)
			}
			return slices.Contains(stats, JobCount{Kind: "access_sweep", State: "completed", Count: 1})
		})
	})
}

// TestSweepWithoutMail: with no SMTP the store queues no email, and the
// sweep still runs.
func TestSweepWithoutMail(t *testing.T) {
	t.Parallel()
	c := newCompany(t, dbtest.SQLite(t))
	req := c.request(t)
	if _, err := c.store.DecideAccess(c.ctx, c.owner, req.ID, models.VerdictApprove, ""); err != nil {
		t.Fatal(err)
	}
	c.clock.Add(8 * 24 * time.Hour)
	c.start(t, nil)
	if c.store.Mail {
		t.Error("Start without SMTP turned mail on")
	}
	eventually(t, "the grant expired", func() bool {
		gs, err := c.store.MyGrants(c.ctx, c.requester)
		return err == nil && len(gs) == 1 && gs[0].Status == models.GrantExpired
	})
	if rows := outbox(t, c.store.DB); len(rows) != 0 {
		t.Errorf("%d emails queued with mail off", len(rows))
	}
}

func TestMigrateTwice(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		for range 2 {
			if err := Migrate(t.Context(), db); err != nil {
				t.Fatal(err)
			}
		}
		if !db.Migrator().HasTable("river_job") {
			t.Error("no river_job table")
		}
	})
}

func TestParseSMTPURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url  string
		want SMTP
		err  string
	}{
		{url: "smtp://user%40x.example:p%40ss@mail.example?from=plaza@x.example",
			want: SMTP{Host: "mail.example", Port: 587, Username: "user@x.example", Password: "p@ss", From: "plaza@x.example", TLS: TLSStartRequired}},
		{url: "smtps://plaza@x.example:secret@mail.example",
			want: SMTP{Host: "mail.example", Port: 465, Username: "plaza@x.example", Password: "secret", From: "plaza@x.example", TLS: TLSImplicit}},
		{url: "smtp://relay.internal:25?from=Plaza+%3Cplaza@x.example%3E&starttls=opportunistic",
			want: SMTP{Host: "relay.internal", Port: 25, From: "Plaza <plaza@x.example>", TLS: TLSStartOptional}},
		{url: "smtp://u:p@127.0.0.1:2525?from=plaza@x.example&starttls=off",
			want: SMTP{Host: "127.0.0.1", Port: 2525, Username: "u", Password: "p", From: "plaza@x.example", TLS: TLSOff}},
		{url: "http://mail.example?from=plaza@x.example", err: "scheme"},
		{url: "smtp://mail.example", err: "?from="},
		{url: "smtp://mail.example?from=nobody", err: "not an email address"},
		{url: "smtp://?from=plaza@x.example", err: "no host"},
		{url: "smtp://mail.example:99999?from=plaza@x.example", err: "port"},
		{url: "smtp://mail.example?from=plaza@x.example&starttls=maybe", err: "starttls"},
		{url: "smtps://mail.example?from=plaza@x.example&starttls=off", err: "starttls"},
		{url: "smtp://u:secret@mail.example?from=plaza@x.example&starttls=off", err: "unencrypted"},
		{url: "smtp://u:sec ret@mail.example\x7f", err: "not a URL"},
	} {
		got, err := ParseSMTPURL(tc.url)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v, want one containing %q", tc.url, err, tc.err)
			} else if strings.Contains(err.Error(), "secret") {
				t.Errorf("%s: the error shows the password: %v", tc.url, err)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.url, err)
		case *got != tc.want:
			t.Errorf("%s: %+v, want %+v", tc.url, *got, tc.want)
		case strings.Contains(got.String(), "secret"):
			t.Errorf("%s: String() shows the password: %s", tc.url, got)
		}
	}
}

// message is an email the test server accepted.
type message struct {
	User, From, To, Subject, Body string
}

// smtpServer is a real SMTP server on loopback (emersion/go-smtp) that
// keeps what it accepts, and fails on request.
type smtpServer struct {
	addr string

	mu       sync.Mutex
	got      []message
	failNext int             // DATA commands still to answer 451
	refused  map[string]bool // recipients answered 550
	arrived  chan struct{}
}

func startSMTP(t *testing.T) *smtpServer {
	t.Helper()
	s := &smtpServer{refused: map[string]bool{}, arrived: make(chan struct{}, 100)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &smtpSession{srv: s}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true // loopback, no TLS in the test
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *smtpServer) url() string {
	return "smtp://mailer:hunter2@" + s.addr + "?from=plaza@example.com&starttls=off"
}

func (s *smtpServer) failData(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = n
}

func (s *smtpServer) refuse(rcpt string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refused[rcpt] = true
}

func (s *smtpServer) messages() []message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

// wait returns the accepted emails once there are n.
func (s *smtpServer) wait(t *testing.T, n int) []message {
	t.Helper()
	timeout := time.After(15 * time.Second)
	for {
		if got := s.messages(); len(got) >= n {
			return got
		}
		select {
		case <-s.arrived:
		case <-timeout:
			t.Fatalf("%d emails arrived, want %d", len(s.messages()), n)
		}
	}
}

type smtpSession struct {
	srv        *smtpServer
	user, from string
	to         []string
}

func (ss *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "mailer" || pass != "hunter2" {
			return errors.New("bad credentials")
		}
		ss.user = user
		return nil
	}), nil
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if ss.user == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "authenticate first"}
	}
	ss.from = from
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.srv.mu.Lock()
	defer ss.srv.mu.Unlock()
	if ss.srv.refused[to] {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.srv.mu.Lock()
	defer ss.srv.mu.Unlock()
	if ss.srv.failNext > 0 {
		ss.srv.failNext--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		return err
	}
	var body io.Reader = msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(msg.Body)
	}
	text, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	for _, to := range ss.to {
		ss.srv.got = append(ss.srv.got, message{User: ss.user, From: ss.from, To: to, Subject: subject,
			Body: strings.ReplaceAll(string(text), "\r\n", "\n")})
	}
	ss.srv.arrived <- struct{}{}
	return nil
}

func (ss *smtpSession) Reset() { ss.from, ss.to = "", nil }

func (ss *smtpSession) Logout() error { return nil }
