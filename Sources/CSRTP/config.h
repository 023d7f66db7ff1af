/*
 * libsrtp's config.h for Earshot's build (64-bit Linux, glibc), written by hand in place of the one its configure
 * script generates. Cipher backend OpenSSL (OPENSSL, GCM): AES counter mode and AES-GCM through EVP, which allocate
 * nothing per packet. HMAC-SHA1 is libsrtp's own (hmac.c, sha1.c), chosen by which files the target compiles:
 * OpenSSL 3.0's HMAC duplicates a digest context at every init and final, two allocations per packet.
 */
#ifndef EARSHOT_LIBSRTP_CONFIG_H
#define EARSHOT_LIBSRTP_CONFIG_H

#define PACKAGE_NAME "libsrtp2"
#define PACKAGE_VERSION "2.5.0"
#define PACKAGE_STRING "libsrtp2 2.5.0"

#define OPENSSL 1
#define GCM 1

#define HAVE_ARPA_INET_H 1
#define HAVE_BYTESWAP_H 1
#define HAVE_INTTYPES_H 1
#define HAVE_NETINET_IN_H 1
#define HAVE_STDINT_H 1
#define HAVE_STDLIB_H 1
#define HAVE_STRING_H 1
#define HAVE_SYS_SOCKET_H 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_SYS_UIO_H 1
#define HAVE_UNISTD_H 1
#define HAVE_INET_ATON 1
#define HAVE_INET_PTON 1
#define HAVE_SOCKET 1
#define HAVE_SIGACTION 1
#define HAVE_USLEEP 1

#define HAVE_INT8_T 1
#define HAVE_INT16_T 1
#define HAVE_INT32_T 1
#define HAVE_UINT8_T 1
#define HAVE_UINT16_T 1
#define HAVE_UINT32_T 1
#define HAVE_UINT64_T 1
#define SIZEOF_UNSIGNED_LONG 8
#define SIZEOF_UNSIGNED_LONG_LONG 8

#if defined(__x86_64__) || defined(__i386__)
#define HAVE_X86 1
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define WORDS_BIGENDIAN 1
#endif

#endif
