#ifndef DOORSTEP_CSPATIALITE_SHIM_H
#define DOORSTEP_CSPATIALITE_SHIM_H
// Order matters: spatialite.h does not include sqlite3.h itself.
#include <sqlite3.h>
#include <spatialite/gaiageo.h>
#include <spatialite.h>
#include <proj.h>
#include <geos_c.h>

// SQLITE_TRANSIENT is a macro over a cast that Swift cannot import.
static inline sqlite3_destructor_type doorstep_sqlite_transient(void) { return SQLITE_TRANSIENT; }
#endif
