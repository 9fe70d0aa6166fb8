// CloudEvents as the `lua` step's scripts see them (issue 6): one table
// per event, keyed as in the CloudEvents JSON format:
//
//   { id = "...", source = "/web", specversion = "1.0", type = "click",
//     subject = "...", time = "2026-12-01T10:00:00.000000Z",   -- RFC 3339, UTC
//     datacontenttype = "application/json", dataschema = "...",
//     data = <the data>,                  -- see below
//     partitionkey = "k", myext = 42,     -- extensions, by name
//   }
//
// Absent optional attributes are nil. `data` is the JSON data decoded
// (lua_json.h: objects and arrays are tables, null is json.null) when the
// datacontenttype is JSON or absent; the text as a string for other types
// (text/plain); nil when there is none. Binary data is `data_base64`, its
// base64 text, as in the JSON format.
//
// A table back to an event (ToEvent): the table is the whole event —
// what it does not hold, the event does not have — except for the
// required attributes: no id is a new UUIDv7; no source or type are the
// defaults given (in record mode the input event's). `time` must be an
// RFC 3339 string; `specversion`, when present, "1.0". `data` is encoded
// as JSON when the datacontenttype is JSON or absent, and must be a string
// otherwise; `data_base64` (base64 text) makes binary data. Every other
// key is an extension: a name of 1-20 of a-z and 0-9 whose value is a
// string, a boolean or an integer (in the event sorted by name).
//
// Both functions need a lua_State prepared by InstallJson and may raise
// Lua errors (out of memory): call them inside LuaSandbox::Call.
#pragma once

#include <cstddef>
#include <string>

#include "core/cloud_event.h"
#include "core/status.h"

struct lua_State;

namespace eventlake::pipeline {

// Pushes `event` as a table; InvalidArgument (nothing pushed) when its
// data should be JSON and is not.
Status PushEvent(lua_State* L, const CloudEvent& event);

struct EventDefaults {
  std::string source;
  std::string type;
  size_t data_bytes = 0;  // what to reserve for the JSON data written (a guess: the input's)
};

// The event the table at `index` describes; InvalidArgument naming the
// key that cannot be an event's (`where` leads the message: "event 2"),
// or when its data would be longer than `max_data_bytes`.
Result<CloudEvent> ToEvent(lua_State* L, int index, const EventDefaults& defaults,
                           std::string_view where, size_t max_data_bytes);

// About the bytes `event` holds (attributes, extensions, data).
size_t EventBytes(const CloudEvent& event);

}  // namespace eventlake::pipeline
