using System.Runtime.InteropServices;
using Overlay.Crypto.Sodium;

namespace Overlay.Crypto.Tests.Sodium;

public sealed class KeyLifetimeTests
{
    [Fact]
    public unsafe void SecureMemoryHandle_Dispose_ZeroesTheSecret()
    {
        const int length = 64;
        var memory = (byte*)NativeMemory.Alloc(length);
        try
        {
            var secret = new Span<byte>(memory, length);
            secret.Fill(0x5A);
            var handle = SecureMemoryHandle.Borrow(memory, length);
            Assert.True(handle.DangerousGetSpan().IndexOfAnyExcept((byte)0x5A) < 0);
            handle.Dispose();
            Assert.True(secret.IndexOfAnyExcept((byte)0) < 0, "Release left secret bytes behind.");
        }
        finally
        {
            NativeMemory.Free(memory);
        }
    }

    [Fact]
    public unsafe void SecureMemoryHandle_Finalizer_ZeroesTheSecret()
    {
        const int length = 32;
        var memory = (byte*)NativeMemory.Alloc(length);
        try
        {
            new Span<byte>(memory, length).Fill(0xC3);
            AbandonHandle(memory, length);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Assert.True(new Span<byte>(memory, length).IndexOfAnyExcept((byte)0) < 0, "Finalisation left secret bytes behind.");
        }
        finally
        {
            NativeMemory.Free(memory);
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static unsafe void AbandonHandle(byte* memory, int length) => _ = SecureMemoryHandle.Borrow(memory, length);

    [Fact]
    public void Key_AfterDispose_EveryUseThrowsObjectDisposed()
    {
        var ed = Key.Create(Algorithm.Ed25519);
        var x = Key.Create(Algorithm.X25519);
        var aead = Key.Create(Algorithm.XChaCha20Poly1305);
        ed.Dispose();
        x.Dispose();
        aead.Dispose();
        ed.Dispose(); // idempotent
        Assert.True(ed.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => ed.ExportPrivateKey(new byte[32]));
        Assert.Throws<ObjectDisposedException>(() => Algorithm.Ed25519.Sign(ed, [], new byte[64]));
        Assert.Throws<ObjectDisposedException>(() => Algorithm.X25519.Agree(x, new byte[32], new byte[32]));
        Assert.Throws<ObjectDisposedException>(() => Algorithm.XChaCha20Poly1305.Encrypt(aead, new byte[24], [], [], new byte[16]));
        // The public half stays usable: it is not secret.
        Assert.Equal(32, ed.PublicKey!.Bytes.Length);
    }

    [Fact]
    public void PublicKey_ImportAndEquality()
    {
        using var key = Key.Create(Algorithm.Ed25519);
        Assert.True(PublicKey.TryImport(Algorithm.Ed25519, key.PublicKey!.Bytes, out var copy));
        Assert.Equal(key.PublicKey, copy);
        Assert.Equal(key.PublicKey.GetHashCode(), copy.GetHashCode());
        Assert.False(PublicKey.TryImport(Algorithm.Ed25519, key.PublicKey.Bytes[..31], out _));
        Assert.False(PublicKey.TryImport(Algorithm.ChaCha20Poly1305, new byte[32], out _));
        Assert.NotEqual(PublicKey.Import(Algorithm.X25519, key.PublicKey.Bytes), (PublicKey)copy);
        Assert.Throws<ArgumentException>(() => PublicKey.Import(Algorithm.Ed25519, new byte[5]));
    }
}
