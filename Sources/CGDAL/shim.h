#ifndef DOORSTEP_CGDAL_SHIM_H
#define DOORSTEP_CGDAL_SHIM_H
// GDAL/OGR's C API: the readers of planners' own formats (Shapefile, GeoPackage, KML/KMZ, spreadsheets, …).
// pkg-config gdal gives -I/usr/include/gdal (Debian's libgdal-dev).
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#endif
