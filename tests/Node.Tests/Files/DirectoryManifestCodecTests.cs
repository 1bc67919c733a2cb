using System.Buffers.Binary;
using System.Text;
using Overlay.Crypto;
using Overlay.Node.Files;
using Overlay.Storage;

namespace Overlay.Node.Tests.Files;

public sealed class DirectoryManifestCodecTests
{
    private static readonly NodeIdentity Owner = NodeIdentity.FromRandom(new Random(43));
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, 456, TimeSpan.Zero);

    [Fact]
    public void Sign_ThenDecode_GivesTheEntriesInByteOrder_AndOneEncoding()
    {
        var entries = new[] { Entry("src/main.c", 1, 100), Entry("README", 2, 0), Entry("bin/run", 3, 7, executable: true), Entry("é/ü", 4, 9) };
        var (manifest, encoded) = DirectoryManifestCodec.Sign(Owner, Now, "project", entries);

        Assert.True(DirectoryManifestCodec.TryDecode(encoded, out var decoded, out var error), error.ToString());
        Assert.Equal(["README", "bin/run", "src/main.c", "é/ü"], decoded.Entries.Select(e => e.Path));
        Assert.Equal(manifest.Entries, decoded.Entries);
        Assert.True(decoded.Entries[1].Executable);
        Assert.Equal(116, decoded.TotalBytes);
        Assert.Equal("project", decoded.Name);
        Assert.Equal(Now, decoded.CreatedAt);
        Assert.Equal(Owner.PeerId, decoded.Owner.PeerId);
        Assert.Equal(encoded, DirectoryManifestCodec.Encode(decoded));
        Assert.Equal(ManifestCodec.DirectoryKind, ManifestCodec.KindOf(encoded));
        // A file decoder refuses a directory manifest by its kind, not as garbage.
        Assert.False(ManifestCodec.TryDecode(encoded, out _, out var fileError));
        Assert.Equal(ManifestError.UnknownKind, fileError);
    }

    [Theory]
    [InlineData("../evil")]
    [InlineData("a/../../evil")]
    [InlineData("..")]
    [InlineData("/etc/passwd")]
    [InlineData("a//b")]
    [InlineData("a/./b")]
    [InlineData("a/")]
    [InlineData("a\\..\\b")]
    [InlineData("tab\there")]
    public void TryDecode_ASignedPathThatCouldLeaveTheTree_IsRefusedAsBadPath(string path)
    {
        // Signed by a key that verifies: the signature says who wrote the manifest, not that its paths are safe.
        var (_, encoded) = DirectoryManifestCodec.Sign(Owner, Now, null, [Entry(path, 1, 10)], checkPaths: false);
        Assert.True(DirectoryManifestCodec.TryDecode(encoded, out _, out _, checkPaths: false));

        Assert.False(DirectoryManifestCodec.TryDecode(encoded, out var manifest, out var error));
        Assert.Null(manifest);
        Assert.Equal(ManifestError.BadPath, error);
        Assert.Throws<ArgumentException>(() => DirectoryManifestCodec.Sign(Owner, Now, null, [Entry(path, 1, 10)]));
    }

    [Fact]
    public void TryDecode_AFileThatIsAlsoAFolder_IsRefusedAsPathConflict()
    {
        var (_, encoded) = DirectoryManifestCodec.Sign(Owner, Now, null, [Entry("a", 1, 1), Entry("a-b", 2, 1), Entry("a/b", 3, 1)], checkPaths: false);
        Assert.False(DirectoryManifestCodec.TryDecode(encoded, out _, out var error));
        Assert.Equal(ManifestError.PathConflict, error);
    }

    [Fact]
    public void TryDecode_EntriesOutOfOrderOrTwice_AreRefused_BeforeTheSignatureIsChecked()
    {
        var (_, encoded) = DirectoryManifestCodec.Sign(Owner, Now, null, [Entry("a", 1, 1), Entry("b", 2, 1)]);
        var first = PathOffset(encoded, 0);
        var second = PathOffset(encoded, 1);

        var swapped = encoded.ToArray();
        (swapped[first], swapped[second]) = ((byte)'b', (byte)'a');
        Assert.False(DirectoryManifestCodec.TryDecode(swapped, out _, out var error));
        Assert.Equal(ManifestError.UnsortedEntries, error);

        var twice = encoded.ToArray();
        twice[second] = (byte)'a';
        Assert.False(DirectoryManifestCodec.TryDecode(twice, out _, out error));
        Assert.Equal(ManifestError.UnsortedEntries, error);
        Assert.Throws<ArgumentException>(() => DirectoryManifestCodec.Sign(Owner, Now, null, [Entry("a", 1, 1), Entry("a", 2, 1)]));
    }

    [Fact]
    public void TryDecode_MalformedFields_GiveTheirTypedError()
    {
        var (_, encoded) = DirectoryManifestCodec.Sign(Owner, Now, "d", [Entry("x", 1, 5)]);
        var modeAt = PathOffset(encoded, 0) + 1 + ShardId.Size + 8;

        Assert.Equal(ManifestError.BadMode, Decode(With(encoded, modeAt, 0x02)));
        Assert.Equal(ManifestError.FileSizeOutOfRange, Decode(With(encoded, modeAt - 8, 0xff)));
        Assert.Equal(ManifestError.UnknownKind, Decode(With(encoded, 5, 0x03)));
        Assert.Equal(ManifestError.BadTime, Decode(With(encoded, 6, 0x80)));
        Assert.Equal(ManifestError.BadSignature, Decode(With(encoded, encoded.Length - 1, (byte)(encoded[^1] ^ 1))));
        Assert.Equal(ManifestError.TrailingBytes, Decode([.. encoded, 0]));
        Assert.Equal(ManifestError.Empty, Decode([]));
        // An entry count claiming four billion entries is refused before anything is allocated for them.
        var countAt = 4 + 1 + 1 + 8 + 1 + 1;
        var huge = encoded.ToArray();
        BinaryPrimitives.WriteUInt32BigEndian(huge.AsSpan(countAt), uint.MaxValue);
        Assert.Equal(ManifestError.Truncated, Decode(huge));
        var zeroPath = encoded.ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(zeroPath.AsSpan(countAt + 4), 0);
        Assert.Equal(ManifestError.BadPath, Decode(zeroPath));
        for (var cut = 0; cut < encoded.Length; cut += 97)
        {
            Assert.NotEqual(ManifestError.None, Decode(encoded[..cut]));
        }
    }

    [Fact]
    public void TryDecode_RandomBytesAndMutations_NeverThrow_AndAreRefused()
    {
        var random = new Random(1907);
        var (_, encoded) = DirectoryManifestCodec.Sign(Owner, Now, "tree", Enumerable.Range(0, 12).Select(i => Entry($"d{i % 3}/f{i}", i, i * 10)));
        var counts = new Dictionary<ManifestError, int>();
        for (var i = 0; i < 3000; i++)
        {
            byte[] bytes;
            if (i % 2 == 0)
            {
                bytes = new byte[random.Next(0, 600)];
                random.NextBytes(bytes);
                if (bytes.Length >= 6)
                {
                    // Half of them past the magic, version and kind, so the later checks are reached.
                    "OVMF"u8.CopyTo(bytes);
                    (bytes[4], bytes[5]) = (1, 2);
                }
            }
            else
            {
                bytes = encoded.ToArray();
                bytes[random.Next(bytes.Length)] ^= (byte)random.Next(1, 256);
            }

            var error = Decode(bytes);
            Assert.NotEqual(ManifestError.None, error);
            counts[error] = counts.GetValueOrDefault(error) + 1;
        }

        // Mutations reach the checks behind the cheap ones, not only the signature.
        Assert.True(counts.Count >= 6, string.Join(", ", counts.Select(c => $"{c.Key}={c.Value}")));
        Assert.True(counts.GetValueOrDefault(ManifestError.BadSignature) > 100);
    }

    private static ManifestError Decode(byte[] bytes)
    {
        DirectoryManifestCodec.TryDecode(bytes, out _, out var error);
        return error;
    }

    private static byte[] With(byte[] bytes, int at, byte value)
    {
        var copy = bytes.ToArray();
        copy[at] = value;
        return copy;
    }

    /// <summary>Where entry <paramref name="index"/>'s path bytes start (for manifests whose name is at most one byte and paths one byte).</summary>
    private static int PathOffset(byte[] encoded, int index)
    {
        var at = 4 + 1 + 1 + 8;
        at += 1 + encoded[at];
        at += 4;
        for (var i = 0; i < index; i++)
        {
            at += 2 + BinaryPrimitives.ReadUInt16BigEndian(encoded.AsSpan(at)) + ShardId.Size + 8 + 1;
        }

        return at + 2;
    }

    private static DirectoryEntry Entry(string path, int seed, long size, bool executable = false) =>
        new(path, ShardId.Compute(Encoding.UTF8.GetBytes("content " + seed)), size, executable);
}
