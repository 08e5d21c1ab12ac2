package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo-contrib/echoprometheus"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"plaza/models"
	"plaza/static"
)

// routes is the map of the site, grouped by who may call each route.
func (s *Server) routes(e *echo.Echo) {
	e.Pre(s.headAsGet)
	e.Use(
		saneRequestID,
		middleware.RequestID(),
		withRequestContext,
		s.requestLogger(),
		middleware.Recover(),
		echoprometheus.NewMiddlewareWithConfig(echoprometheus.MiddlewareConfig{
			Namespace: "plaza", Subsystem: "http", Registerer: s.registry,
			Skipper: func(c echo.Context) bool { return strings.HasPrefix(c.Path(), "/static") },
			// Count the status the error handler will send, not 500 for every returned error.
			StatusCodeResolver: func(c echo.Context, err error) int {
				if err != nil {
					status, _ := classify(err)
					return status
				}
				return c.Response().Status
			},
		}),
		middleware.SecureWithConfig(middleware.SecureConfig{
			XSSProtection: "0", ContentTypeNosniff: "nosniff", XFrameOptions: "DENY",
			ReferrerPolicy:        "same-origin",
			ContentSecurityPolicy: "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
		}),
		middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: "4M", Skipper: func(c echo.Context) bool { return isUpload(c) || isAPIUpload(c) }}),
		s.csrf(),
		s.authenticate,
	)

	// Public: health, metrics, assets, sign-in.
	e.GET("/healthz", s.Healthz)
	e.GET("/metrics", echoprometheus.NewHandlerWithConfig(echoprometheus.HandlerConfig{Gatherer: s.registry}))
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", staticHandler())))
	e.GET("/signin", s.SignIn)
	e.POST("/signin/demo", s.SignInDemo)
	e.GET("/auth/:provider", s.AuthBegin)
	e.GET("/auth/:provider/callback", s.AuthCallback)
	e.POST("/signout", s.SignOut)

	// Signed in: the marketplace, domains and teams, one's own profile.
	app := e.Group("", s.requireUser)
	app.GET("/", s.Marketplace)
	app.GET("/domains", s.DomainsIndex)
	app.GET("/domains/:domain", s.DomainShow)
	app.GET("/domains/:domain/teams/:team", s.TeamShow)
	// Team owners and admins (checked by models.Authorize for the team):
	app.GET("/domains/:domain/teams/:team/edit", s.TeamEdit)
	app.POST("/domains/:domain/teams/:team", s.TeamUpdate)
	app.POST("/domains/:domain/teams/:team/members", s.MemberAdd)
	app.POST("/domains/:domain/teams/:team/members/remove", s.MemberRemove)
	// Data products: pages for everyone signed in (drafts only for their
	// team); writes for the owning team's owners and admins, checked in models.
	app.GET("/products/new", s.ProductNew)
	app.POST("/products", s.ProductCreate)
	app.POST("/products/preview", s.ProductPreview)
	app.GET("/products/import", s.ContractImportForm)
	app.POST("/products/import", s.ContractImport)
	app.GET("/products/:domain/:product", s.ProductShow)
	app.GET("/products/:domain/:product/ports/:port", s.ProductPortShow)
	// The data itself: CheckAccess at each call, downloads audited.
	app.GET("/products/:domain/:product/ports/:port/preview", s.ProductDataPreview)
	app.GET("/products/:domain/:product/ports/:port/download", s.ProductDownload)
	app.GET("/products/:domain/:product/edit", s.ProductEdit)
	app.POST("/products/:domain/:product", s.ProductUpdate)
	app.POST("/products/:domain/:product/status", s.ProductStatus)
	// Business glossary: terms belong to domains; their team owners edit them.
	// Access: requests, decisions and grants; who may do what is decided in
	// models (a request or grant someone may not see answers 404).
	app.GET("/products/:domain/:product/access", s.AccessForm)
	app.POST("/products/:domain/:product/access", s.AccessRequestCreate)
	app.GET("/products/:domain/:product/consumers", s.Consumers)
	app.GET("/access", s.MyAccess)
	app.GET("/access/requests/:id", s.AccessRequestShow)
	app.POST("/access/requests/:id/decide", s.AccessDecide)
	app.POST("/access/requests/:id/withdraw", s.AccessWithdraw)
	app.GET("/access/grants/:id/renew", s.RenewForm)
	app.POST("/access/grants/:id/renew", s.RenewCreate)
	app.POST("/access/grants/:id/revoke", s.GrantRevoke)
	app.POST("/access/grants/:id/confirm", s.GrantConfirm)
	app.GET("/inbox", s.InboxPage)
	app.GET("/notifications", s.NotificationsPage)
	app.GET("/notifications/:id/open", s.NotificationOpen)
	app.POST("/notifications/read", s.NotificationsReadAll)
	// Landing folders: a domain's team members and admins (checked per domain).
	app.GET("/landing", s.LandingIndex)
	app.GET("/landing/:domain", s.LandingShow)
	app.POST("/landing/:domain", s.LandingUpload)
	app.POST("/landing/:domain/remove", s.LandingRemove)
	app.GET("/landing/:domain/stats", s.LandingStats)
	app.GET("/landing/:domain/file", s.LandingFile)
	app.GET("/glossary", s.GlossaryIndex)
	app.GET("/glossary/new", s.TermNew)
	app.POST("/glossary", s.TermCreate)
	app.GET("/glossary/:domain/:term", s.TermShow)
	app.GET("/glossary/:domain/:term/edit", s.TermEdit)
	app.POST("/glossary/:domain/:term", s.TermUpdate)
	// Pipelines: readable by everyone who can see the product (drafts only
	// by its team); defining is for the team's owners and admins, running
	// and cancelling for its members and admins, checked in models.
	app.GET("/pipelines", s.PipelinesIndex)
	app.GET("/products/:domain/:product/pipelines/:port", s.PipelineForm)
	app.POST("/products/:domain/:product/pipelines/:port", s.PipelineSave)
	app.GET("/pipelines/:id", s.PipelineShow)
	app.POST("/pipelines/:id/runs", s.PipelineRun)
	app.GET("/runs/:id", s.RunShow)
	app.GET("/runs/:id/log", s.RunLog)
	app.POST("/runs/:id/cancel", s.RunCancel)
	// Federated queries: what each may read is decided in models at each query.
	app.GET("/query", s.QueryPage)
	app.POST("/query/run", s.QueryRun)
	app.POST("/query/cancel", s.QueryCancel)
	app.POST("/query/export", s.QueryExport)
	app.POST("/query/saved", s.QuerySave)
	app.POST("/query/saved/:token/delete", s.QuerySavedDelete)
	app.GET("/query/s/:token", s.QueryShared)
	// Dashboards: every signed-in person; names of consumers only for
	// admins and stewards, the platform board only for admins (it checks: its
	// address is not under /admin).
	app.GET("/dashboards", s.Dashboards)
	app.GET("/dashboards/mine", s.DashboardMine)
	app.GET("/dashboards/ownership", s.DashboardOwnership)
	app.GET("/dashboards/quality", s.DashboardQuality)
	app.GET("/dashboards/usage", s.DashboardUsage)
	app.GET("/dashboards/platform", s.DashboardPlatform)
	app.GET("/profile", s.Profile)
	app.POST("/profile/tokens", s.TokenCreate)
	app.POST("/profile/tokens/:id/revoke", s.TokenRevoke)

	// Admins.
	admin := e.Group("/admin", s.requireUser, require(models.ActAdminConsole))
	admin.GET("", s.AdminHome)
	admin.GET("/domains", s.AdminDomains)
	admin.GET("/domains/new", s.DomainNew)
	admin.POST("/domains", s.DomainCreate)
	admin.GET("/domains/:domain/edit", s.DomainEdit)
	admin.POST("/domains/:domain", s.DomainUpdate)
	admin.POST("/domains/:domain/archive", s.DomainArchive)
	admin.POST("/domains/:domain/restore", s.DomainRestore)
	admin.POST("/domains/:domain/delete", s.DomainDelete)
	admin.GET("/domains/:domain/teams/new", s.TeamNew)
	admin.POST("/domains/:domain/teams", s.TeamCreate)
	admin.POST("/domains/:domain/teams/:team/archive", s.TeamArchive)
	admin.POST("/domains/:domain/teams/:team/restore", s.TeamRestore)
	admin.GET("/people", s.PeopleIndex)
	admin.POST("/people", s.PersonCreate)
	admin.POST("/people/:id/admin", s.PersonSetAdmin)
	admin.POST("/people/:id/active", s.PersonSetActive)
	admin.GET("/audit", s.AuditIndex)
	admin.GET("/audit.csv", s.AuditCSV)
	admin.GET("/audit/verify", s.AuditVerify)
	admin.GET("/queries", s.AdminQueries)
	admin.GET("/policy", s.PolicyIndex)
	admin.POST("/policy/:classification", s.PolicyUpdate)
	admin.POST("/domains/:domain/stewards", s.StewardAdd)
	admin.POST("/domains/:domain/stewards/:id/remove", s.StewardRemove)

	// JSON API, bearer tokens; each call authorizes in models like the browser.
	e.GET("/api/v1/openapi.json", s.OpenAPI)
	api := e.Group("/api/v1", s.requireUser)
	api.GET("/me", s.APIMe)
	api.GET("/domains", s.APIDomains)
	api.POST("/domains", s.APIDomainCreate)
	api.GET("/domains/:domain", s.APIDomainShow)
	api.PATCH("/domains/:domain", s.APIDomainUpdate)
	api.DELETE("/domains/:domain", s.APIDomainRemove)
	api.GET("/domains/:domain/teams", s.APITeams)
	api.POST("/domains/:domain/teams", s.APITeamCreate)
	api.GET("/domains/:domain/teams/:team", s.APITeamShow)
	api.PATCH("/domains/:domain/teams/:team", s.APITeamUpdate)
	api.DELETE("/domains/:domain/teams/:team", s.APITeamArchive)
	api.GET("/domains/:domain/teams/:team/members", s.APIMembers)
	api.PUT("/domains/:domain/teams/:team/members/:email", s.APIMemberPut)
	api.DELETE("/domains/:domain/teams/:team/members/:email", s.APIMemberRemove)
	api.GET("/audit", s.APIAudit)
	api.GET("/products", s.APIProducts)
	api.POST("/products/:domain", s.APIProductCreate)
	api.GET("/products/:domain/:product", s.APIProductShow)
	api.PUT("/products/:domain/:product", s.APIProductUpdate)
	api.GET("/products/:domain/:product/contract", s.APIContractExport)
	api.GET("/products/:domain/:product/odps", s.APIODPSExport)
	api.POST("/contracts", s.APIContractImport)
	api.GET("/glossary", s.APITerms)
	api.POST("/glossary", s.APITermCreate)
	api.GET("/glossary/:domain/:term", s.APITermShow)
	// Access: requests, decisions, grants and policies; the rules are in models.
	api.POST("/access-requests", s.APIAccessRequestCreate)
	api.GET("/access-requests", s.APIAccessRequests)
	api.GET("/access-requests/:id", s.APIAccessRequestShow)
	api.POST("/access-requests/:id/approve", s.APIAccessRequestApprove)
	api.POST("/access-requests/:id/deny", s.APIAccessRequestDeny)
	api.POST("/access-requests/:id/withdraw", s.APIAccessRequestWithdraw)
	api.GET("/grants", s.APIGrants)
	api.POST("/grants/:id/revoke", s.APIGrantRevoke)
	api.GET("/products/:domain/:product/grants", s.APIProductGrants)
	api.GET("/policies", s.APIPolicies)
	api.PUT("/policies/:classification", s.APIPolicyUpdate)
	// Landing, pipelines, runs and snapshots: the browser's rules, decided in
	// models; uploads are the raw body, streamed (isAPIUpload skips the 4 MB limit).
	api.GET("/landing/:domain", s.APILanding)
	api.POST("/landing/:domain", s.APILandingUpload)
	api.GET("/pipelines", s.APIPipelines)
	api.GET("/pipelines/:id", s.APIPipelineShow)
	api.PUT("/products/:domain/:product/pipelines/:port", s.APIPipelinePut)
	api.POST("/pipelines/:id/runs", s.APIPipelineRun)
	api.GET("/runs", s.APIRuns)
	api.GET("/runs/:id", s.APIRunShow)
	api.POST("/runs/:id/cancel", s.APIRunCancel)
	api.GET("/products/:domain/:product/snapshots", s.APISnapshots)
	api.GET("/products/:domain/:product/ports/:port/download", s.ProductDownload) // the browser's: CheckAccess, audited; errors as JSON here
	api.POST("/query", s.APIQuery)
	api.GET("/queries", s.APIQueries)
}

// staticHandler serves the embedded assets; URLs carry a version, so they
// may be cached for a long time.
func staticHandler() http.Handler {
	fs := http.FileServerFS(static.FS)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".go") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=86400")
		fs.ServeHTTP(w, r)
	})
}
