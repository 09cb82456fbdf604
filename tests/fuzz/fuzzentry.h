#pragma once

#include <cstddef>
#include <cstdint>

// The entry points shared by the libFuzzer targets (clang, `make fuzz`) and
// the corpus replay test of the normal build. Each takes any bytes and must
// neither crash nor hang; a broken invariant aborts.
namespace halhub::fuzz {

// The first byte picks the frame kind (even: text, odd: binary); the rest
// is the frame. A decoded message must survive encode -> decode in every
// wire form.
void frameDecoder(const uint8_t *data, size_t size);

// Decodes like frameDecoder, then reads the message as the server does:
// envelope, the fields of its type, stream specs against a sim-like device,
// command params against its specs, and a hello token against a verifier.
void requestValidator(const uint8_t *data, size_t size);

// The first byte picks the message size limit (1 << (b & 31)) and the size
// of the pieces (1 + 5 * (b >> 5)); the rest is what a client sends. Fed
// whole and in pieces, the WebSocket reader must give the same events, each
// within the rules (valid UTF-8 text, valid close codes, at most one error
// and nothing after it).
void webSocketReader(const uint8_t *data, size_t size);

} // namespace halhub::fuzz
