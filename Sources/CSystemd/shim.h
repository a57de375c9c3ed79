/* libsystemd for Swift: readiness/watchdog (sd-daemon) and structured journal writes (sd-journal).
 * Swift cannot call C-variadic functions (sd_notifyf, sd_journal_send, sd_journal_print), so
 * TrailwatchSystemd uses their non-variadic forms: sd_notify with a preformatted string and
 * sd_journal_sendv with an iovec array. Add a static inline wrapper here if a variadic one is ever needed. */
#ifndef TRAILWATCH_CSYSTEMD_SHIM_H
#define TRAILWATCH_CSYSTEMD_SHIM_H

#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <sys/uio.h>
#include <syslog.h>

#endif
