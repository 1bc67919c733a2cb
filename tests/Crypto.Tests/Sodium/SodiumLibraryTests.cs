using Overlay.Crypto.Sodium;

namespace Overlay.Crypto.Tests.Sodium;

public sealed class SodiumLibraryTests
{
    [Fact]
    public void EnsureInitialized_OnThisHost_LoadsASupportedVersion()
    {
        SodiumLibrary.EnsureInitialized();
        Assert.True(SodiumLibrary.IsAvailable);
        var (major, minor) = SodiumLibrary.LibraryVersion;
        Assert.Null(SodiumLibrary.CheckVersion(major, minor));
    }

    [Fact]
    public void EnsureInitialized_FromManyThreads_Succeeds()
    {
        Parallel.For(0, 32, _ => SodiumLibrary.EnsureInitialized());
        Assert.True(SodiumLibrary.IsAvailable);
    }

    [Theory]
    [InlineData(9, 6)]
    [InlineData(4, 0)]
    [InlineData(0, 0)]
    public void CheckVersion_TooOld_SaysToInstallLibsodium23(int major, int minor)
    {
        var message = SodiumLibrary.CheckVersion(major, minor);
        Assert.NotNull(message);
        Assert.Contains("install the libsodium23 package", message);
        Assert.Contains($"{major}.{minor}", message);
    }

    [Theory]
    [InlineData(10, 0)]
    [InlineData(10, 3)]
    [InlineData(26, 2)]
    public void CheckVersion_SupportedVersions_Accepted(int major, int minor) => Assert.Null(SodiumLibrary.CheckVersion(major, minor));

    [Fact]
    public void TryLoadFirst_NoCandidateExists_ReturnsZero()
    {
        Assert.Equal(IntPtr.Zero, SodiumLibrary.TryLoadFirst(["libdoes-not-exist.so.99", "libnor-this"], typeof(SodiumLibrary).Assembly));
        Assert.NotEqual(IntPtr.Zero, SodiumLibrary.TryLoadFirst(["libdoes-not-exist.so.99", "libsodium.so.23"], typeof(SodiumLibrary).Assembly));
    }

    [Fact]
    public void SodiumUnavailableException_DefaultMessage_IsOneSentenceNamingThePackage()
    {
        var message = new SodiumUnavailableException().Message;
        Assert.Contains("libsodium23", message);
        Assert.EndsWith(".", message);
    }

    [Fact]
    public void RandomBytes_FillsTheWholeBufferAndDiffersBetweenCalls()
    {
        var a = new byte[64];
        var b = new byte[64];
        SodiumLibrary.RandomBytes(a);
        SodiumLibrary.RandomBytes(b);
        Assert.NotEqual(a, b);
        // 64 random bytes are all zero in the last 16 with probability 2^-128.
        Assert.True(a.AsSpan(48).ContainsAnyExcept((byte)0));
        SodiumLibrary.RandomBytes([]);
    }

    [Fact]
    public void FixedTimeEquals_ComparesContentAndLength()
    {
        byte[] a = [1, 2, 3, 4];
        Assert.True(SodiumLibrary.FixedTimeEquals(a, [1, 2, 3, 4]));
        Assert.False(SodiumLibrary.FixedTimeEquals(a, [1, 2, 3, 5]));
        Assert.False(SodiumLibrary.FixedTimeEquals(a, [1, 2, 3]));
        Assert.True(SodiumLibrary.FixedTimeEquals([], []));
    }

    [Fact]
    public void Zero_ClearsTheBuffer()
    {
        byte[] a = [9, 9, 9, 9, 9];
        SodiumLibrary.Zero(a.AsSpan(1, 3));
        Assert.Equal(new byte[] { 9, 0, 0, 0, 9 }, a);
        SodiumLibrary.Zero([]);
    }
}
