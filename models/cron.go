package models

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// Cron is a parsed schedule: five fields (minute hour day-of-month month
// day-of-week) or a descriptor like @hourly or @daily, in UTC.
type Cron struct {
	expr  string
	sched cron.Schedule
}

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseCron parses a schedule, with a message a person can act on.
func ParseCron(expr string) (*Cron, error) {
	if expr == "" {
		return nil, fmt.Errorf("Give a cron expression, like 0 6 * * * for every day at 06:00 UTC, or @hourly.")
	}
	s, err := cronParser.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("%q is not a cron expression (%v); use five fields, like 0 6 * * * for every day at 06:00 UTC, or @hourly", expr, err)
	}
	return &Cron{expr: expr, sched: s}, nil
}

// Next is the first time after t the schedule fires, in UTC.
func (c *Cron) Next(t time.Time) time.Time { return c.sched.Next(t.UTC()).UTC() }
