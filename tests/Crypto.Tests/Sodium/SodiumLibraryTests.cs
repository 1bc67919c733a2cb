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

    [Fact]
    public void EnsureInitialized_LoadsTheLibsodiumThatShipsWithTheBuild()
    {
        Assert.Equal("1.0.22", SodiumLibrary.VersionString);
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("The loaded file is looked up in /proc/self/maps, which only Linux has.");
        }

        // The mapped file is the package's copy under this build's runtimes/<rid>/native, not a system one.
        SodiumLibrary.EnsureInitialized();
        var mapped = File.ReadLines("/proc/self/maps")
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length >= 6 && Path.GetFileName(fields[5]).StartsWith("libsodium", StringComparison.Ordinal))
            .Select(fields => fields[5])
            .Distinct()
            .ToArray();
        var expected = Path.Combine(AppContext.BaseDirectory, "runtimes", System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier, "native", "libsodium.so");
        Assert.Equal([Path.GetFullPath(expected)], mapped);
    }

    [Theory]
    [InlineData(9, 6)]
    [InlineData(4, 0)]
    [InlineData(0, 0)]
    public void CheckVersion_TooOld_IsOneSentenceNamingTheVersion(int major, int minor)
    {
        var message = SodiumLibrary.CheckVersion(major, minor);
        Assert.NotNull(message);
        Assert.Contains($"version {major}.{minor}", message);
        Assert.Contains("rebuild", message);
        Assert.EndsWith(".", message);
    }

    [Theory]
    [InlineData(10, 0)]
    [InlineData(10, 3)]
    [InlineData(26, 2)]
    public void CheckVersion_SupportedVersions_Accepted(int major, int minor) => Assert.Null(SodiumLibrary.CheckVersion(major, minor));

    [Fact]
    public void SodiumUnavailableException_DefaultMessage_IsOneSentenceSayingWhatToDo()
    {
        var message = new SodiumUnavailableException().Message;
        Assert.StartsWith("The native libsodium could not be loaded:", message);
        Assert.Contains("rebuild", message);
        Assert.Single(message.Split(". "));
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
