#ifndef GROUPGUARD_GROUPGUARD_H_
#define GROUPGUARD_GROUPGUARD_H_

// The whole public API of groupguard: include this one header.

#include "groupguard/classifier.h"   // IWYU pragma: export
#include "groupguard/clock.h"        // IWYU pragma: export
#include "groupguard/event_store.h"  // IWYU pragma: export
#include "groupguard/events.h"       // IWYU pragma: export
#include "groupguard/features.h"     // IWYU pragma: export
#include "groupguard/gate.h"         // IWYU pragma: export
#include "groupguard/metrics.h"      // IWYU pragma: export
#include "groupguard/moderation.h"   // IWYU pragma: export
#include "groupguard/post_reader.h"  // IWYU pragma: export
#include "groupguard/registry.h"     // IWYU pragma: export
#include "groupguard/tokenizer.h"    // IWYU pragma: export
#include "groupguard/trainer.h"      // IWYU pragma: export
#include "groupguard/version.h"      // IWYU pragma: export

#endif  // GROUPGUARD_GROUPGUARD_H_
