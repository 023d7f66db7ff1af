#ifndef EARSHOT_COPENSSLCRYPTO_SHIM_H
#define EARSHOT_COPENSSLCRYPTO_SHIM_H

// OpenSSL's libcrypto, for the vendored libsrtp (CSRTP) only: its AES counter mode and AES-GCM ciphers (EVP).
#include <openssl/evp.h>

#endif
