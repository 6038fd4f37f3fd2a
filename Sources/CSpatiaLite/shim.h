#ifndef DOORSTEP_CSPATIALITE_SHIM_H
#define DOORSTEP_CSPATIALITE_SHIM_H
// Order matters: spatialite.h does not include sqlite3.h itself.
#include <sqlite3.h>
#include <spatialite/gaiageo.h>
#include <spatialite.h>

// SQLITE_TRANSIENT is a macro over a cast that Swift cannot import.
static inline sqlite3_destructor_type doorstep_sqlite_transient(void) { return SQLITE_TRANSIENT; }

// sqlite3_config is variadic, which Swift cannot call. Memory statistics take a process-wide mutex on every
// allocation; Doorstep never reads them, and with them off concurrent readers do not queue on that lock.
// Must run before SQLite initializes; later it returns SQLITE_MISUSE and changes nothing.
static inline int doorstep_sqlite_disable_memstatus(void) { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }
#endif
