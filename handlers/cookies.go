package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"plaza/views"
)

// Cookie names.
const (
	sessionCookie = "plaza_session"
	flashCookie   = "plaza_flash"
	oauthCookie   = "plaza_oauth"
)

// deriveKeys splits one configured secret into a signing and an encryption key.
func deriveKeys(secret []byte) (hashKey, blockKey []byte) {
	mac := func(label string) []byte {
		h := hmac.New(sha256.New, secret)
		h.Write([]byte(label))
		return h.Sum(nil)
	}
	return mac("plaza cookie signing"), mac("plaza cookie encryption")
}

// setCookie writes a signed, encrypted, HttpOnly, SameSite=Lax cookie.
func (s *Server) setCookie(c echo.Context, name string, value any, maxAge time.Duration) error {
	encoded, err := s.cookies.Encode(name, value)
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{
		Name: name, Value: encoded, Path: "/", HttpOnly: true, Secure: s.Opts.SecureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: int(maxAge / time.Second),
	})
	return nil
}

// readCookie decodes a cookie written by setCookie; false when absent or tampered with.
func (s *Server) readCookie(c echo.Context, name string, dst any) bool {
	ck, err := c.Cookie(name)
	if err != nil {
		return false
	}
	return s.cookies.Decode(name, ck.Value, dst) == nil
}

func (s *Server) clearCookie(c echo.Context, name string) {
	c.SetCookie(&http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.Opts.SecureCookies, SameSite: http.SameSiteLaxMode})
}

// flash queues a message for the next page the browser shows.
func (s *Server) flash(c echo.Context, kind, text string) {
	var fs []views.Flash
	s.readCookie(c, flashCookie, &fs)
	fs = append(fs, views.Flash{Kind: kind, Text: text})
	if err := s.setCookie(c, flashCookie, fs, 10*time.Minute); err != nil {
		s.log.Warn("flash cookie", "err", err)
	}
	c.Set(ctxPendingFlash, fs)
}

// takeFlashes returns and clears the queued messages.
func (s *Server) takeFlashes(c echo.Context) []views.Flash {
	if fs, ok := c.Get(ctxPendingFlash).([]views.Flash); ok {
		// Queued during this same request (a re-rendered page): show them now.
		s.clearCookie(c, flashCookie)
		return fs
	}
	var fs []views.Flash
	if s.readCookie(c, flashCookie, &fs) {
		s.clearCookie(c, flashCookie)
	}
	return fs
}
