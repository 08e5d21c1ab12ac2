package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The demo company's federated governance: stewards for the domains, and
// access requests in every state with their decisions and grants, so My
// access, the inbox, a product's consumers and the audit log have something
// real to show on first start. Like the catalog, everything is written
// through the Store methods people use, so the audit chain, the decisions
// and the notifications are the real ones. Only the store's clock is moved
// back while older events happen: requests are hours to weeks old, some
// grants end within days, some have ended.

const demoDay = 24 * time.Hour

// The people who ask for and decide on access in the demo.
const (
	demoAlex   = "alex.morgan@northwind.example"
	demoSofia  = "sofia.rossi@northwind.example"
	demoDaniel = "daniel.kim@northwind.example"
	demoPriya  = "priya.natarajan@northwind.example"
	demoTom    = "tom.becker@northwind.example"
	demoMarco  = "marco.silva@northwind.example"
	demoHannah = "hannah.weber@northwind.example"
	demoMaya   = "maya.johnson@northwind.example"
	demoLeo    = "leo.martins@northwind.example"
	demoGrace  = "grace.okafor@northwind.example"
)

// demoStewards are the governance stewards of the demo domains, appointed
// some time before the requests below. Grace Okafor stewards the domains
// that hold personal and financial data; Daniel Kim, who owns the customer
// data, stewards Marketing, whose web and email products are built from
// customer behaviour.
var demoStewards = []struct {
	domain, email string
	ago           time.Duration
}{
	{"customer", demoGrace, 150 * demoDay},
	{"sales", demoGrace, 150 * demoDay},
	{"finance", demoGrace, 120 * demoDay},
	{"marketing", demoDaniel, 60 * demoDay},
}

// demoAct is something a person did, some time before the seed: a
// decision (with its verdict and comment), a review or a revocation (with
// its reason).
type demoAct struct {
	by      string // email
	ago     time.Duration
	verdict string // decisions only
	text    string // the decision's comment or the revocation's reason
}

func approve(by string, ago time.Duration, comment string) demoAct {
	return demoAct{by: by, ago: ago, verdict: VerdictApprove, text: comment}
}

func deny(by string, ago time.Duration, comment string) demoAct {
	return demoAct{by: by, ago: ago, verdict: VerdictDeny, text: comment}
}

// demoAccess is one access story: a request, what its deciders did and
// when, and what became of the grant.
type demoAccess struct {
	requester string // email
	product   string // "domain/slug"
	class     string // the classification the story was written for
	ports     []string
	days      int
	asked     time.Duration // how long before the seed the request was sent
	purpose   string

	decisions []demoAct
	withdrawn time.Duration // when the requester withdrew it; 0: never
	confirmed []demoAct     // reviews of the grant, confirmed
	revoked   *demoAct
	renewal   *demoAccess // a request to renew the grant; requester and product are the story's
}

var demoAccessStories = []demoAccess{
	// Leo Martins, a merchandising analyst in no team, works from stock and cost data.
	{requester: demoLeo, product: "supply-chain/inventory-snapshots", class: ClassInternal, ports: []string{"daily"}, days: 180,
		asked: 63*demoDay + 4*time.Hour,
		purpose: "Weekly size-curve review for the autumn/winter range: I compare end-of-day stock per SKU and size in the 40 " +
			"high-street stores with what sold, to find the sizes we run out of early and the ones left over for markdown. " +
			"Aggregated per store cluster; nothing leaves Plaza at SKU level.",
		decisions: []demoAct{approve(demoPriya, 62*demoDay+22*time.Hour,
			"Approved. The snapshot closes at 23:59 local time, so deliveries booked after a store closes show up the next "+
				"day; keep that in mind when you compare with the till data.")},
	},
	{requester: demoLeo, product: "supply-chain/purchase-orders", class: ClassInternal, ports: []string{"lines"}, days: 90,
		asked: 86*demoDay + 3*time.Hour,
		purpose: "I need the unit landed cost per SKU from the purchase order lines to work out the margin impact of the " +
			"end-of-season markdowns I propose to the merchandising managers each week. Only the lines port: I don't need " +
			"supplier terms or the order headers.",
		decisions: []demoAct{approve(demoPriya, 85*demoDay+1*time.Hour,
			"Approved for the markdown margin work. Landed costs of orders still in transit are estimates until the goods "+
				"are received; received_units tells you which lines are final.")},
		renewal: &demoAccess{days: 180, asked: 1*demoDay + 5*time.Hour,
			purpose: "Renewal: the markdown reviews carry on through the January sale, and I now also check the landed cost " +
				"of the first spring/summer deliveries against the planned intake margin. Same port, same use."},
	},
	{requester: demoLeo, product: "sales/orders", class: ClassInternal, ports: []string{"daily"}, days: 90,
		asked: 2*demoDay + 3*time.Hour,
		purpose: "Sell-through per store for the merchandising weekly: units and order value per store and channel over " +
			"the last 12 weeks, to see whether click-and-collect orders are skewing stock allocation away from the smaller " +
			"stores. Daily orders only; I don't need the status events.",
	},
	{requester: demoLeo, product: "customer/customer-segments", class: ClassConfidential, ports: []string{"weekly"}, days: 90,
		asked: 3*demoDay + 6*time.Hour,
		purpose: "Range planning for spring/summer: which segments buy which categories in each store cluster, so the " +
			"assortment of the 30 outlet stores leans towards the segments that actually shop there. Counts per segment " +
			"and store only; I will not join it to customer details.",
	},
	{requester: demoLeo, product: "finance/general-ledger", class: ClassConfidential, ports: []string{"daily"}, days: 30,
		asked: 21*demoDay + 2*time.Hour,
		purpose: "Markdown cost per SKU for last season's clearance, to compare with the margin plan before the " +
			"spring buying meeting.",
		decisions: []demoAct{deny(demoTom, 19*demoDay+20*time.Hour,
			"The ledger has no SKU detail: markdowns are posted per store and period to account 4090, so it cannot "+
				"answer this. Landed cost per SKU is in supply-chain/purchase-orders, which you already have, and margin "+
				"per store in sales/daily-store-sales. If you need the posted markdown totals, ask me for the period "+
				"summary from the P&L pack.")},
	},

	// Hannah Weber, a data engineer in Sales Analytics, builds the sales reports.
	{requester: demoHannah, product: "customer/loyalty-members", class: ClassConfidential, ports: []string{"current"}, days: 180,
		asked: 98*demoDay + 5*time.Hour,
		purpose: "Basket analysis by loyalty tier for the sales leadership's quarterly review: average basket, units per " +
			"basket and return rate for Bronze, Silver and Gold members against non-members. Joined on customer_id to the " +
			"order lines inside Plaza; only aggregates per tier and store are published.",
		decisions: []demoAct{approve(demoDaniel, 97*demoDay+2*time.Hour,
			"Approved for the tier basket analysis. Please don't publish figures for a tier with fewer than 50 members "+
				"in a store; that happens in a few of the small outlets.")},
	},
	{requester: demoHannah, product: "supply-chain/shipments", class: ClassInternal, ports: []string{"current"}, days: 30,
		asked: 47*demoDay + 4*time.Hour,
		purpose: "Checking the web shop's two-day delivery promise before the peak season: the share of home deliveries " +
			"delivered within two days, per carrier and region, over the last eight weeks. A one-off analysis for next " +
			"month's trading meeting.",
		decisions: []demoAct{approve(demoPriya, 46*demoDay+1*time.Hour,
			"Approved. One regional carrier reports delivery only once a day, so its same-day deliveries look a day "+
				"late; filter on the carrier column to leave it out.")},
	},
	{requester: demoHannah, product: "customer/customer-360", class: ClassRestricted, ports: []string{"current"}, days: 30,
		asked: 13*demoDay + 3*time.Hour,
		purpose: "We want to send a short survey to customers who returned more than three items last quarter, to find " +
			"out why. I need their names and email addresses to send it from the Sales Analytics mailbox.",
		decisions: []demoAct{
			approve(demoDaniel, 12*demoDay+20*time.Hour,
				"Fine from the product side; the steward decides on contacting customers."),
			deny(demoGrace, 11*demoDay+22*time.Hour,
				"Contacting customers is a marketing use: it needs their email-marketing consent, and personal data "+
					"may not leave the platform for a team mailbox. Ask the Campaigns team to send the survey through "+
					"the email platform, which filters on customer/customer-consent. For the analysis itself, "+
					"customer/customer-segments has no contact details and is enough."),
		},
	},
	{requester: demoHannah, product: "marketing/campaign-performance", class: ClassInternal, ports: []string{"daily"}, days: 90,
		asked: 6*time.Hour + 10*time.Minute,
		purpose: "The weekly sales report will show how much of each store's revenue came from campaign vouchers, so " +
			"store managers stop reading promotion weeks as organic growth. I need attributed orders and revenue per " +
			"campaign and day.",
	},

	// Maya Johnson, a business analyst in Campaigns, plans and measures campaigns.
	{requester: demoMaya, product: "customer/customer-consent", class: ClassRestricted, ports: []string{"current"}, days: 30,
		asked: 4*demoDay + 2*time.Hour,
		purpose: "Audience for the spring Rewards email: before the list goes to the email platform I must remove " +
			"everyone without a current email-marketing consent. The current consent is enough; I don't need the " +
			"history of events.",
		decisions: []demoAct{approve(demoDaniel, 1*demoDay+3*time.Hour,
			"Approved as product owner. Filter on purpose = 'email_marketing': many customers consented to SMS "+
				"but not to email.")},
	},
	{requester: demoMaya, product: "marketing/web-sessions", class: ClassConfidential, ports: []string{"events"}, days: 30,
		asked: 30*demoDay + 1*time.Hour,
		purpose: "Landing-page test of the autumn campaign: sessions, bounce and conversion per landing page and " +
			"utm_campaign for the four variants we run, so we can stop the weakest two after the first month.",
		decisions: []demoAct{approve(demoMarco, 29*demoDay+6*time.Hour,
			"Approved for the length of the test. Sessions that cross midnight UTC are split in two, so count "+
				"conversions per visitor, not per session.")},
	},
	{requester: demoMaya, product: "sales/order-lines", class: ClassInternal, ports: []string{"daily"}, days: 30,
		asked: 12*demoDay + 5*time.Hour,
		purpose: "Which SKUs are bought together with the jackets in the autumn outerwear campaign, to choose the " +
			"cross-sell products for the follow-up email.",
		withdrawn: 11*demoDay + 23*time.Hour,
	},
	{requester: demoMaya, product: "sales/daily-store-sales", class: ClassInternal, ports: []string{"daily"}, days: 90,
		asked: 11*demoDay + 20*time.Hour,
		purpose: "Store uplift of the in-store window campaign: revenue and units in the 25 stores with the window " +
			"displays against comparable stores without them, week by week, for the campaign review.",
	},
	{requester: demoMaya, product: "customer/loyalty-transactions", class: ClassInternal, ports: []string{"events"}, days: 90,
		asked: 52*demoDay + 2*time.Hour,
		purpose: "Measuring the double-points weekend: points earned and redeemed per day and tier before, during and " +
			"after the promotion, to decide whether we repeat it before Christmas.",
		decisions: []demoAct{approve(demoDaniel, 51*demoDay+4*time.Hour,
			"Approved. Points for web orders are credited on fulfilment, so the weekend's points keep arriving for "+
				"about five days after it ends.")},
		revoked: &demoAct{by: demoDaniel, ago: 5*demoDay + 3*time.Hour,
			text: "The double-points analysis is finished and presented, so I am closing standing access to loyalty data " +
				"ahead of the internal audit of the Rewards programme. Ask again with the next campaign's brief and I " +
				"will approve it quickly."},
	},

	// Product owners use each other's data too.
	{requester: demoMarco, product: "customer/customer-consent", class: ClassRestricted, ports: []string{"current"}, days: 90,
		asked: 72*demoDay + 3*time.Hour,
		purpose: "Server-side tracking must stop attaching a visitor_id to customers who withdrew their profiling " +
			"consent. The tracking pipeline reads the current profiling consent every hour and drops the identifier " +
			"for anyone without it.",
		decisions: []demoAct{
			approve(demoDaniel, 71*demoDay+5*time.Hour, "Approved: this is exactly what the current port is for."),
			approve(demoGrace, 70*demoDay+2*time.Hour,
				"Approved as steward, for profiling consent only. Please note in the pipeline's README that it reads "+
					"this product, so the next privacy audit finds it."),
		},
		confirmed: []demoAct{{by: demoDaniel, ago: 38 * demoDay}},
	},
	{requester: demoMarco, product: "customer/customer-360", class: ClassRestricted, ports: []string{"current"}, days: 30,
		asked: 5*time.Hour + 20*time.Minute,
		purpose: "Logged-in funnel for the web shop: match signed-in sessions to home store and customer tenure, to see " +
			"whether customers who live near a store convert online differently. I will use customer_id, home_store_id " +
			"and first_order_date only; no names, emails or addresses.",
	},
	{requester: demoTom, product: "sales/revenue-by-channel", class: ClassConfidential, ports: []string{"daily"}, days: 180,
		asked: 96*demoDay + 4*time.Hour,
		purpose: "Quarterly trading update: the channel split of net revenue in the board pack and the analyst " +
			"presentation comes from this product, reconciled to the ledger. Finance needs it through the year-end close.",
		decisions: []demoAct{approve(demoSofia, 95*demoDay+2*time.Hour,
			"Approved through year end. Figures for an open fiscal period are provisional; the reconciliation column "+
				"shows what moves at close.")},
	},
	{requester: demoSofia, product: "finance/monthly-pnl", class: ClassConfidential, ports: []string{"monthly"}, days: 90,
		asked: 9*demoDay + 1*time.Hour,
		purpose: "The sales leadership's monthly review should start from the P&L lines the board sees: net revenue, " +
			"cost of sales and store costs per channel and store, so we stop reconciling our own margin figures with " +
			"Finance's every month.",
	},
}

// seedDemoAccess appoints the demo stewards and plays the access stories
// that have not happened yet. A story has happened when its requester has
// any request for its product, so a second run (or a restart of serve
// --demo) changes nothing; a story whose product or people have since
// changed beyond it (renamed, reclassified, left a team) is skipped.
//
// It moves the store's clock while it runs and puts it back after, so it
// must run before the store serves anyone, as SeedDemo does. The
// notifications it writes are real, but no email goes out for them: weeks
// of history would arrive in the personas' mailboxes at once.
func (s *Store) seedDemoAccess(ctx context.Context, admin *User) error {
	realClock, mail := s.Now, s.Mail
	defer func() { s.Now, s.Mail = realClock, mail }()
	s.Mail = false
	tl := &demoTimeline{s: s, now: s.now().Truncate(time.Second), grants: map[uint][]time.Time{}}

	people := map[string]*User{}
	for _, p := range DemoPersonas {
		u, err := s.UserByEmail(ctx, p.Email)
		if err != nil {
			return fmt.Errorf("seed access: %w", err)
		}
		people[p.Email] = u
	}

	for _, ds := range demoStewards {
		d, err := s.DomainBySlug(ctx, ds.domain)
		if err != nil {
			return fmt.Errorf("seed steward of %s: %w", ds.domain, err)
		}
		// A domain that has stewards keeps the ones its admins chose.
		stewards, err := s.Stewards(ctx, d.ID)
		if err != nil {
			return fmt.Errorf("seed steward of %s: %w", ds.domain, err)
		}
		if len(stewards) > 0 || !people[ds.email].Active() {
			continue
		}
		email := ds.email
		tl.add(ds.ago, func(ctx context.Context) error {
			if _, err := s.AddSteward(ctx, admin, d, email); err != nil {
				return fmt.Errorf("seed steward of %s: %w", d.Slug, err)
			}
			return nil
		})
	}
	// Stewards are appointed first, so the stories' checks see them.
	if err := tl.run(ctx); err != nil {
		return err
	}
	s.Now = realClock

	asked := map[uint][]AccessRequest{} // by requester
	for i := range demoAccessStories {
		st := &demoAccessStories[i]
		p, ok, err := s.demoAccessReady(ctx, st, people, asked)
		if err != nil {
			return fmt.Errorf("seed access %s for %s: %w", st.product, st.requester, err)
		}
		if ok {
			tl.story(st, people[st.requester], people, p, nil)
		}
	}
	if len(tl.steps) == 0 {
		return nil
	}
	if err := tl.run(ctx); err != nil {
		return err
	}
	// What the periodic job finds due at the real present: reminders,
	// expiries and reviews since the last event.
	s.Now = realClock
	if _, err := s.SweepAccess(ctx); err != nil {
		return fmt.Errorf("seed access: %w", err)
	}
	return nil
}

// demoAccessReady returns the story's product when the story has not
// happened yet and the catalog and the people still fit it.
func (s *Store) demoAccessReady(ctx context.Context, st *demoAccess, people map[string]*User, asked map[uint][]AccessRequest) (*Product, bool, error) {
	requester := people[st.requester]
	if !requester.Active() {
		return nil, false, nil
	}
	domain, slug, _ := strings.Cut(st.product, "/")
	p, err := s.ProductBySlug(ctx, domain, slug)
	var moved *ErrMoved
	if isNotFound(err) || errors.As(err, &moved) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if _, ok := asked[requester.ID]; !ok {
		rs, err := s.MyRequests(ctx, requester)
		if err != nil {
			return nil, false, err
		}
		asked[requester.ID] = rs
	}
	if slices.ContainsFunc(asked[requester.ID], func(r AccessRequest) bool { return r.ProductID == p.ID }) {
		return nil, false, nil // it happened
	}
	if p.Classification != st.class || (p.Status != StatusPublished && p.Status != StatusDeprecated) {
		return nil, false, nil
	}
	scope, err := s.ProductScope(ctx, requester, p)
	if err != nil || scope.TeamRole != "" {
		return nil, false, err
	}
	// Everyone who acts in the story must still be able to.
	owners, err := s.ProductOwners(ctx, p)
	if err != nil {
		return nil, false, err
	}
	stewards, err := s.Stewards(ctx, p.DomainID)
	if err != nil {
		return nil, false, err
	}
	deciders := map[string]bool{}
	for _, u := range append(owners, stewards...) {
		deciders[u.Email] = u.Active()
	}
	acts := slices.Concat(st.decisions, st.confirmed)
	if st.revoked != nil {
		acts = append(acts, *st.revoked)
	}
	if st.renewal != nil {
		acts = append(acts, st.renewal.decisions...)
	}
	for _, a := range acts {
		if !deciders[a.by] {
			return nil, false, nil
		}
	}
	return p, true, nil
}

// demoTimeline plays events at moments in the past, in time order, with
// the store's clock set to each one's moment.
type demoTimeline struct {
	s      *Store
	now    time.Time // the seed's present: every event happens before it
	at     time.Time // the clock of the event playing
	steps  []demoStep
	grants map[uint][]time.Time // per grant, the moments the periodic sweep has something to do with it
}

type demoStep struct {
	at  time.Time
	run func(ctx context.Context) error
}

// add schedules run at ago before the present.
func (tl *demoTimeline) add(ago time.Duration, run func(ctx context.Context) error) {
	tl.steps = append(tl.steps, demoStep{at: tl.now.Add(-ago), run: run})
}

func (tl *demoTimeline) set(t time.Time) {
	tl.at = t
	tl.s.Now = func() time.Time { return t }
}

// run plays the scheduled steps in time order. Between them it runs
// SweepAccess a minute after each moment the periodic job would have had
// something to do (a reminder 7 days and 1 day before a grant expires, the
// expiry, a review falling due), so reminders, expiries and review requests
// happen when they would have.
func (tl *demoTimeline) run(ctx context.Context) error {
	slices.SortStableFunc(tl.steps, func(a, b demoStep) int { return a.at.Compare(b.at) })
	steps := tl.steps
	tl.steps = nil
	for len(steps) > 0 || len(tl.grants) > 0 {
		sweep, ok := tl.nextSweep()
		if len(steps) > 0 && (!ok || !sweep.Before(steps[0].at)) {
			tl.set(steps[0].at)
			if err := steps[0].run(ctx); err != nil {
				return err
			}
			steps = steps[1:]
			continue
		}
		if !ok {
			break
		}
		tl.set(sweep)
		if _, err := tl.s.SweepAccess(ctx); err != nil {
			return fmt.Errorf("seed access: %w", err)
		}
		for id, ts := range tl.grants {
			tl.grants[id] = slices.DeleteFunc(ts, func(t time.Time) bool { return !t.After(sweep) })
		}
	}
	return nil
}

// nextSweep is the earliest moment a sweep is due, if any.
func (tl *demoTimeline) nextSweep() (time.Time, bool) {
	var next time.Time
	for _, ts := range tl.grants {
		for _, t := range ts {
			if next.IsZero() || t.Before(next) {
				next = t
			}
		}
	}
	return next, !next.IsZero()
}

// watch (re)reads a grant and notes the moments a sweep acts on it.
func (tl *demoTimeline) watch(ctx context.Context, id uint) error {
	g, err := tl.s.GrantByID(ctx, id)
	if err != nil {
		return err
	}
	var due []time.Time
	if g.Status == GrantActive {
		due = []time.Time{g.ExpiresAt.AddDate(0, 0, -7), g.ExpiresAt.AddDate(0, 0, -1), g.ExpiresAt}
		if g.ReviewDueAt != nil && g.ReviewRequestedAt == nil {
			due = append(due, *g.ReviewDueAt)
		}
	}
	var ts []time.Time
	for _, t := range due {
		if t = t.Add(time.Minute); !t.Before(tl.at) && !t.After(tl.now) {
			ts = append(ts, t)
		}
	}
	tl.grants[id] = ts
	return nil
}

// story schedules the events of st, asked by requester. A renewal's
// request names the grant of the request it renews, known once that
// request has played.
func (tl *demoTimeline) story(st *demoAccess, requester *User, people map[string]*User, p *Product, renews *AccessRequest) {
	s := tl.s
	var req AccessRequest
	grantID := func() uint {
		if req.Grant == nil {
			return 0
		}
		return req.Grant.ID
	}
	fail := func(what string, err error) error {
		return fmt.Errorf("seed access %s/%s for %s: %s: %w", p.Domain.Slug, p.Slug, requester.Email, what, err)
	}
	tl.add(st.asked, func(ctx context.Context) error {
		in := AccessRequestInput{Ports: st.ports, Purpose: st.purpose, DurationDays: st.days, AcceptTerms: true}
		if renews != nil {
			in.RenewalOf = renews.Grant.ID
		}
		r, err := s.RequestAccess(ctx, requester, p, in)
		if err != nil {
			return fail("request", err)
		}
		req = *r
		return nil
	})
	for _, d := range st.decisions {
		tl.add(d.ago, func(ctx context.Context) error {
			r, err := s.DecideAccess(ctx, people[d.by], req.ID, d.verdict, d.text)
			if err != nil {
				return fail(d.verdict+" by "+d.by, err)
			}
			req = *r
			if id := grantID(); id != 0 {
				return tl.watch(ctx, id)
			}
			return nil
		})
	}
	if st.withdrawn != 0 {
		tl.add(st.withdrawn, func(ctx context.Context) error {
			if _, err := s.WithdrawAccess(ctx, requester, req.ID); err != nil {
				return fail("withdraw", err)
			}
			return nil
		})
	}
	for _, c := range st.confirmed {
		tl.add(c.ago, func(ctx context.Context) error {
			if _, err := s.ConfirmGrant(ctx, people[c.by], grantID()); err != nil {
				return fail("confirm by "+c.by, err)
			}
			return tl.watch(ctx, grantID())
		})
	}
	if rv := st.revoked; rv != nil {
		tl.add(rv.ago, func(ctx context.Context) error {
			if _, err := s.RevokeGrant(ctx, people[rv.by], grantID(), rv.text); err != nil {
				return fail("revoke by "+rv.by, err)
			}
			return tl.watch(ctx, grantID())
		})
	}
	if st.renewal != nil {
		tl.story(st.renewal, requester, people, p, &req)
	}
}
