using System.Reflection;
using System.Runtime.InteropServices;
using Overlay.Crypto.Sodium.Interop;

namespace Overlay.Crypto.Sodium;

/// <summary>
/// Loads and initialises libsodium once per process and exposes its general-purpose helpers: the
/// CSPRNG, constant-time comparison and guaranteed zeroing.
/// </summary>
public static unsafe class SodiumLibrary
{
    /// <summary>
    /// Oldest library version accepted: 10.x is libsodium 1.0.16 (the libsodium23 soname), the first
    /// release that has every primitive used here, including <c>crypto_core_ed25519_is_valid_point</c>.
    /// </summary>
    public const int MinimumVersionMajor = 10;

    /// <summary>Minimum minor version when the major version equals <see cref="MinimumVersionMajor"/>.</summary>
    public const int MinimumVersionMinor = 0;

    // Tried in order: the Debian soname first, then the unversioned development name (other distributions,
    // a library built from source).
    private static readonly string[] CandidateNames = [Libsodium.LibraryName, "libsodium"];

    private static readonly Lock InitLock = new();
    private static volatile bool s_initialized;
    private static string? s_failure;
    private static Exception? s_failureCause;

    /// <summary>True when libsodium is loaded and initialised (loads it on first call).</summary>
    public static bool IsAvailable
    {
        get
        {
            if (s_initialized)
            {
                return true;
            }

            InitializeOnce();
            return s_initialized;
        }
    }

    /// <summary>The loaded library's version as (major, minor), e.g. (10, 3) for libsodium 1.0.18.</summary>
    public static (int Major, int Minor) LibraryVersion
    {
        get
        {
            EnsureInitialized();
            return (Libsodium.sodium_library_version_major(), Libsodium.sodium_library_version_minor());
        }
    }

    /// <summary>Loads and initialises libsodium if that has not happened yet; safe to call from any thread.</summary>
    /// <exception cref="SodiumUnavailableException">The library is missing, failed to initialise or is too old.</exception>
    public static void EnsureInitialized()
    {
        if (s_initialized)
        {
            return;
        }

        InitializeOnce();
        if (!s_initialized)
        {
            // A fresh exception per call: rethrowing one cached instance would keep rewriting its stack trace.
            throw s_failureCause is null
                ? new SodiumUnavailableException(s_failure!)
                : new SodiumUnavailableException(s_failure!, s_failureCause);
        }
    }

    /// <summary>Fills <paramref name="buffer"/> from libsodium's CSPRNG (the kernel's getrandom).</summary>
    public static void RandomBytes(Span<byte> buffer)
    {
        EnsureInitialized();
        fixed (byte* p = buffer)
        {
            Libsodium.randombytes_buf(p, (nuint)buffer.Length);
        }
    }

    /// <summary>
    /// Compares two buffers in time that depends only on their length (<c>sodium_memcmp</c>). Buffers of
    /// different lengths are unequal; lengths are not secret.
    /// </summary>
    public static bool FixedTimeEquals(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        EnsureInitialized();
        if (left.Length != right.Length)
        {
            return false;
        }

        if (left.IsEmpty)
        {
            return true;
        }

        fixed (byte* a = left)
        fixed (byte* b = right)
        {
            return Libsodium.sodium_memcmp(a, b, (nuint)left.Length) == 0;
        }
    }

    /// <summary>Overwrites <paramref name="buffer"/> with zeros in a way the compiler cannot elide (<c>sodium_memzero</c>).</summary>
    public static void Zero(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return;
        }

        EnsureInitialized();
        fixed (byte* p = buffer)
        {
            Libsodium.sodium_memzero(p, (nuint)buffer.Length);
        }
    }

    /// <summary>The failure message for a library of the given version, or null when it is new enough.</summary>
    internal static string? CheckVersion(int major, int minor)
    {
        if (major > MinimumVersionMajor || (major == MinimumVersionMajor && minor >= MinimumVersionMinor))
        {
            return null;
        }

        return $"libsodium library version {major}.{minor} is older than the required {MinimumVersionMajor}.{MinimumVersionMinor} (libsodium 1.0.16); install the libsodium23 package (apt-get install libsodium23).";
    }

    /// <summary>Loads the first of <paramref name="names"/> that the dynamic loader finds; zero when none.</summary>
    internal static IntPtr TryLoadFirst(ReadOnlySpan<string> names, Assembly assembly)
    {
        foreach (var name in names)
        {
            if (NativeLibrary.TryLoad(name, assembly, DllImportSearchPath.SafeDirectories | DllImportSearchPath.AssemblyDirectory, out var handle))
            {
                return handle;
            }
        }

        return IntPtr.Zero;
    }

    private static void InitializeOnce()
    {
        lock (InitLock)
        {
            if (s_initialized || s_failure is not null)
            {
                return;
            }

            try
            {
                Initialize();
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
            {
                // The loader found something but it does not export what the binding needs.
                s_failureCause = e;
                s_failure = "libsodium could not be loaded (" + e.Message + "); install the libsodium23 package (apt-get install libsodium23).";
            }
        }
    }

    private static void Initialize()
    {
        var assembly = typeof(SodiumLibrary).Assembly;
        try
        {
            NativeLibrary.SetDllImportResolver(assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // Another component of this assembly registered a resolver first. The library name is the
            // Debian soname, which default probing finds on its own; only the fallback name is lost.
        }

        if (TryLoadFirst(CandidateNames, assembly) == IntPtr.Zero)
        {
            s_failure = "libsodium was not found (tried libsodium.so.23 and libsodium); install the libsodium23 package (apt-get install libsodium23).";
            return;
        }

        // sodium_init is itself thread-safe and idempotent: 0 = initialised now, 1 = already, -1 = failed.
        if (Libsodium.sodium_init() < 0)
        {
            s_failure = "libsodium failed to initialise (sodium_init returned -1); reinstall the libsodium23 package (apt-get install --reinstall libsodium23).";
            return;
        }

        var versionFailure = CheckVersion(Libsodium.sodium_library_version_major(), Libsodium.sodium_library_version_minor());
        if (versionFailure is not null)
        {
            s_failure = versionFailure;
            return;
        }

        s_initialized = true;
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        // Zero hands every other library back to the runtime's default probing.
        return libraryName == Libsodium.LibraryName ? TryLoadFirst(CandidateNames, assembly) : IntPtr.Zero;
    }
}
