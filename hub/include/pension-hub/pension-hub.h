/* Umbrella header of the plugin SDK: the only header a plugin includes. */
#pragma once

#include "ph-error.h"
#include "ph-plugin.h"
#include "ph-record.h"
#include "ph-mapping.h"
#include "ph-sftp.h"
#include "ph-digest.h"
#include "ph-xml.h"
#include "ph-http.h"
#include "ph-transfer-api.h"
#include "ph-core-api.h"
#include "ph-xml-stream.h"
#include "ph-spool.h"
#include "ph-drop.h"
#include "ph-personnel-api.h"
#include "ph-cardholder-api.h"
#include "ph-medical-api.h"
