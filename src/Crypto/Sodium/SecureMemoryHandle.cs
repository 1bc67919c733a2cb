using System.Runtime.InteropServices;
using Overlay.Crypto.Sodium.Interop;

namespace Overlay.Crypto.Sodium;

/// <summary>
/// Unmanaged memory that holds a secret. It is locked into RAM (best effort) and left out of core dumps
/// while alive, and zeroed with <c>sodium_munlock</c> when released, whether by Dispose or by the
/// finalizer, so a forgotten key still does not linger in freed memory.
/// </summary>
/// <remarks>
/// NativeMemory plus <c>sodium_mlock</c> rather than <c>sodium_malloc</c>: the guarded allocator maps
/// three or four pages and several VMAs per secret, and simulations hold thousands of node keys, which
/// would run into <c>vm.max_map_count</c>. The GC never sees this memory, so it is never copied.
/// </remarks>
internal sealed unsafe class SecureMemoryHandle : SafeHandle
{
    private readonly bool _ownsMemory;

    private SecureMemoryHandle(IntPtr memory, int length, bool ownsMemory)
        : base(IntPtr.Zero, ownsHandle: true)
    {
        SetHandle(memory);
        Length = length;
        _ownsMemory = ownsMemory;
    }

    /// <summary>Size of the secret in bytes.</summary>
    public int Length { get; }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>Allocates <paramref name="length"/> zeroed bytes of locked memory.</summary>
    public static SecureMemoryHandle Allocate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        SodiumLibrary.EnsureInitialized();
        var memory = (byte*)NativeMemory.AlignedAlloc((nuint)length, 64);
        NativeMemory.Clear(memory, (nuint)length);

        // Failure (RLIMIT_MEMLOCK reached) only means the secret may be swapped; it is still zeroed on release.
        _ = Libsodium.sodium_mlock(memory, (nuint)length);
        return new SecureMemoryHandle((IntPtr)memory, length, ownsMemory: true);
    }

    /// <summary>
    /// Adopts memory owned by the caller: release zeroes and unlocks it but does not free it. Lets a
    /// test observe that release really wipes the bytes.
    /// </summary>
    internal static SecureMemoryHandle Borrow(byte* memory, int length)
    {
        SodiumLibrary.EnsureInitialized();
        _ = Libsodium.sodium_mlock(memory, (nuint)length);
        return new SecureMemoryHandle((IntPtr)memory, length, ownsMemory: false);
    }

    /// <summary>
    /// The secret as a span. Valid only between DangerousAddRef and DangerousRelease (see <see cref="Lease"/>).
    /// </summary>
    public Span<byte> DangerousGetSpan() => new((void*)handle, Length);

    /// <summary>Keeps the memory alive while native code reads it, even if another thread disposes the key.</summary>
    public Lease Acquire()
    {
        var added = false;
        DangerousAddRef(ref added);
        return new Lease(this);
    }

    protected override bool ReleaseHandle()
    {
        // sodium_munlock zeroes the range before unlocking it (and restores core-dump inclusion).
        _ = Libsodium.sodium_munlock((byte*)handle, (nuint)Length);
        if (_ownsMemory)
        {
            NativeMemory.AlignedFree((void*)handle);
        }

        return true;
    }

    /// <summary>A reference held on the memory for the duration of one native call.</summary>
    public readonly ref struct Lease
    {
        private readonly SecureMemoryHandle _owner;

        internal Lease(SecureMemoryHandle owner) => _owner = owner;

        public byte* Pointer => (byte*)_owner.handle;

        public Span<byte> Span => new((void*)_owner.handle, _owner.Length);

        public void Dispose() => _owner.DangerousRelease();
    }
}
