using System.Runtime.InteropServices;

namespace Overlay.Crypto.Sodium.Interop;

/// <summary>
/// Source-generated P/Invoke declarations for the parts of libsodium the node uses. Every parameter is
/// blittable (pointers and integers), so the generated stubs only forward. Callers pin spans with
/// <c>fixed</c> and must have called <see cref="SodiumLibrary.EnsureInitialized"/> first.
/// </summary>
/// <remarks>
/// <c>SuppressGCTransition</c> is applied only to functions that return a constant or touch a small,
/// bounded amount of memory without blocking or calling back: skipping the GC transition is unsafe for
/// anything that may run long (signing, Argon2id) or block in the kernel (<c>randombytes_buf</c>).
/// </remarks>
internal static unsafe partial class Libsodium
{
    /// <summary>
    /// The name the libsodium package gives its file (runtimes/&lt;rid&gt;/native/libsodium.so, .dylib, .dll);
    /// the runtime finds it through the app's deps.json, and otherwise asks the system loader.
    /// </summary>
    internal const string LibraryName = "libsodium";

    internal const int crypto_sign_ed25519_PUBLICKEYBYTES = 32;
    internal const int crypto_sign_ed25519_SECRETKEYBYTES = 64;
    internal const int crypto_sign_ed25519_SEEDBYTES = 32;
    internal const int crypto_sign_ed25519_BYTES = 64;
    internal const int crypto_scalarmult_curve25519_BYTES = 32;
    internal const int crypto_scalarmult_curve25519_SCALARBYTES = 32;
    internal const int crypto_aead_chacha20poly1305_ietf_KEYBYTES = 32;
    internal const int crypto_aead_chacha20poly1305_ietf_NPUBBYTES = 12;
    internal const int crypto_aead_chacha20poly1305_ietf_ABYTES = 16;
    internal const int crypto_aead_xchacha20poly1305_ietf_KEYBYTES = 32;
    internal const int crypto_aead_xchacha20poly1305_ietf_NPUBBYTES = 24;
    internal const int crypto_aead_xchacha20poly1305_ietf_ABYTES = 16;
    internal const int crypto_pwhash_argon2id_SALTBYTES = 16;
    internal const int crypto_pwhash_argon2id_ALG_ARGON2ID13 = 2;

    // --- core ---------------------------------------------------------------------------------

    [LibraryImport(LibraryName)]
    internal static partial int sodium_init();

    [LibraryImport(LibraryName)]
    [SuppressGCTransition]
    internal static partial int sodium_library_version_major();

    [LibraryImport(LibraryName)]
    [SuppressGCTransition]
    internal static partial int sodium_library_version_minor();

    [LibraryImport(LibraryName)]
    [SuppressGCTransition]
    internal static partial byte* sodium_version_string();

    [LibraryImport(LibraryName)]
    internal static partial void randombytes_buf(byte* buf, nuint size);

    [LibraryImport(LibraryName)]
    internal static partial int sodium_memcmp(byte* b1, byte* b2, nuint len);

    [LibraryImport(LibraryName)]
    internal static partial void sodium_memzero(byte* pnt, nuint len);

    [LibraryImport(LibraryName)]
    internal static partial int sodium_mlock(byte* addr, nuint len);

    [LibraryImport(LibraryName)]
    internal static partial int sodium_munlock(byte* addr, nuint len);

    // --- Ed25519 ------------------------------------------------------------------------------

    [LibraryImport(LibraryName)]
    internal static partial int crypto_sign_ed25519_seed_keypair(byte* pk, byte* sk, byte* seed);

    [LibraryImport(LibraryName)]
    internal static partial int crypto_sign_ed25519_detached(byte* sig, ulong* siglen, byte* m, ulong mlen, byte* sk);

    [LibraryImport(LibraryName)]
    internal static partial int crypto_sign_ed25519_verify_detached(byte* sig, byte* m, ulong mlen, byte* pk);

    [LibraryImport(LibraryName)]
    internal static partial int crypto_core_ed25519_is_valid_point(byte* p);

    // --- X25519 -------------------------------------------------------------------------------

    [LibraryImport(LibraryName)]
    internal static partial int crypto_scalarmult_curve25519(byte* q, byte* n, byte* p);

    [LibraryImport(LibraryName)]
    internal static partial int crypto_scalarmult_curve25519_base(byte* q, byte* n);

    // --- AEAD ---------------------------------------------------------------------------------

    [LibraryImport(LibraryName)]
    internal static partial int crypto_aead_chacha20poly1305_ietf_encrypt(
        byte* c, ulong* clen, byte* m, ulong mlen, byte* ad, ulong adlen, byte* nsec, byte* npub, byte* k);

    [LibraryImport(LibraryName)]
    internal static partial int crypto_aead_chacha20poly1305_ietf_decrypt(
        byte* m, ulong* mlen, byte* nsec, byte* c, ulong clen, byte* ad, ulong adlen, byte* npub, byte* k);

    [LibraryImport(LibraryName)]
    internal static partial int crypto_aead_xchacha20poly1305_ietf_encrypt(
        byte* c, ulong* clen, byte* m, ulong mlen, byte* ad, ulong adlen, byte* nsec, byte* npub, byte* k);

    [LibraryImport(LibraryName)]
    internal static partial int crypto_aead_xchacha20poly1305_ietf_decrypt(
        byte* m, ulong* mlen, byte* nsec, byte* c, ulong clen, byte* ad, ulong adlen, byte* npub, byte* k);

    // --- Argon2id -----------------------------------------------------------------------------

    [LibraryImport(LibraryName)]
    internal static partial int crypto_pwhash_argon2id(
        byte* @out, ulong outlen, byte* passwd, ulong passwdlen, byte* salt, ulong opslimit, nuint memlimit, int alg);
}
