package schedule_test

import (
	"fmt"
	"time"

	"github.com/stacklab/stacklab/internal/services/schedule"
)

func ExampleParse() {
	s, err := schedule.Parse("cron(0 18 ? * MON-FRI *)")
	if err != nil {
		panic(err)
	}
	t := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC) // a Saturday
	for range 3 {
		t = s.Next(t)
		fmt.Println(t.Format("Mon 2006-01-02 15:04"))
	}
	_, err = schedule.Parse("cron(0 10 * * * *)")
	fmt.Println(err)
	// Output:
	// Mon 2026-11-23 18:00
	// Tue 2026-11-24 18:00
	// Wed 2026-11-25 18:00
	// schedule expression "cron(0 10 * * * *)": day-of-week field "*": day-of-month and day-of-week cannot both be set; write ? in one of them, for example cron(0 18 ? * MON-FRI *)
}
