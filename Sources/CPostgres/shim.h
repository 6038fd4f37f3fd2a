#ifndef DOORSTEP_CPOSTGRES_SHIM_H
#define DOORSTEP_CPOSTGRES_SHIM_H
// libpq, PostgreSQL's own C client (Debian libpq-dev): the PostGIS store's one way to the server.
#include <libpq-fe.h>
#endif
