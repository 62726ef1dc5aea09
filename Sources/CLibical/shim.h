#ifndef PLANCAL_CLIBICAL_SHIM_H
#define PLANCAL_CLIBICAL_SHIM_H

#include <libical/ical.h>

// Swift cannot import C macros that expand to function calls, nor variadic
// functions. The few plancal needs are wrapped here as static inline functions.

/// The thread-local libical error code (`icalerrno` is a macro).
static inline icalerrorenum plancal_icalerrno(void) {
    return icalerrno;
}

/// Clears the thread-local libical error code before a call whose failure is
/// signalled only through `icalerrno`.
static inline void plancal_icalerror_clear(void) {
    icalerror_clear_errno();
}

#endif
