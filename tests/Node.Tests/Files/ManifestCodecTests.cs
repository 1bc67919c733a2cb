using System.Buffers.Binary;
using System.Text;
using Overlay.Crypto;
using Overlay.Node.Files;
using Overlay.Storage;

namespace Overlay.Node.Tests.Files;

public sealed class ManifestCodecTests
{
    private static readonly NodeIdentity Owner = NodeIdentity.FromRandom(new Random(41));
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, 123, TimeSpan.Zero);

    [Fact]
    public void Sign_ThenDecode_GivesTheSameManifest_AndOneEncoding()
    {
        var (manifest, encoded) = Sample(fileSize: 10_000_000, chunk: 4 << 20, k: 10, m: 4, name: "holiday video.mp4", mediaType: "video/mp4");

        Assert.True(ManifestCodec.TryDecode(encoded, out var decoded, out var error), error.ToString());
        Assert.Equal(manifest.FileSize, decoded.FileSize);
        Assert.Equal(manifest.ChunkBytes, decoded.ChunkBytes);
        Assert.Equal((10, 4), (decoded.DataShards, decoded.ParityShards));
        Assert.Equal(3, decoded.StripeCount);
        Assert.Equal(manifest.Shards, decoded.Shards);
        Assert.Equal(manifest.ContentHash.ToArray(), decoded.ContentHash.ToArray());
        Assert.Equal(Now, decoded.CreatedAt);
        Assert.Equal("holiday video.mp4", decoded.Name);
        Assert.Equal("video/mp4", decoded.MediaType);
        Assert.Equal(Owner.PeerId, decoded.Owner.PeerId);
        Assert.Equal(encoded, ManifestCodec.Encode(decoded));
        Assert.Equal(1_611_392, decoded.StripeBytes(2));
        Assert.Equal(161_140, decoded.ShardBytes(2));
    }

    [Fact]
    public void Sign_AnEmptyFile_HasNoStripes()
    {
        var (_, encoded) = Sample(fileSize: 0, chunk: 4096, k: 2, m: 1);
        Assert.True(ManifestCodec.TryDecode(encoded, out var decoded, out _));
        Assert.Equal(0, decoded.StripeCount);
        Assert.Empty(decoded.Shards);
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData("tab\there")]
    public void Sign_WithAPathOrControlCharacterAsName_IsRefused(string name) =>
        Assert.Throws<ArgumentException>(() => Sample(fileSize: 10, chunk: 4096, k: 2, m: 1, name: name));

    [Fact]
    public void TryDecode_RandomBytes_NeverThrows_AndRefusesEach()
    {
        var random = new Random(1901);
        var counts = new Dictionary<ManifestError, int>();
        for (var i = 0; i < 4000; i++)
        {
            var bytes = new byte[random.Next(0, 700)];
            random.NextBytes(bytes);
            if (i % 2 == 0 && bytes.Length >= 62)
            {
                // Half carry a plausible head (small size, valid chunk and code), so the later checks are reached too.
                "OVMF"u8.CopyTo(bytes);
                bytes[4] = ManifestCodec.Version;
                bytes[5] = ManifestCodec.FileKind;
                BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(6), (ulong)random.Next(0, 20_000));
                BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(14), 4096);
                BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(18), (ushort)random.Next(1, 4));
                BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(20), (ushort)random.Next(1, 3));
                BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(54), random.Next());
            }

            Assert.False(ManifestCodec.TryDecode(bytes, out var manifest, out var error));
            Assert.Null(manifest);
            Assert.NotEqual(ManifestError.None, error);
            counts[error] = counts.GetValueOrDefault(error) + 1;
        }

        Assert.True(counts.Count >= 5, string.Join(", ", counts));
    }

    [Fact]
    public void TryDecode_EverySingleByteMutation_IsRefusedWithATypedError()
    {
        var (_, encoded) = Sample(fileSize: 50_000, chunk: 16_384, k: 3, m: 2, name: "n", mediaType: "text/plain");
        var random = new Random(1902);
        var reasons = new HashSet<ManifestError>();
        for (var at = 0; at < encoded.Length; at++)
        {
            var mutated = encoded.ToArray();
            mutated[at] ^= (byte)random.Next(1, 256);
            if (ManifestCodec.TryDecode(mutated, out _, out var error))
            {
                Assert.Fail($"A change at byte {at} was accepted.");
            }

            reasons.Add(error);
        }

        Assert.Contains(ManifestError.BadSignature, reasons);
        Assert.Contains(ManifestError.BadMagic, reasons);
        Assert.True(reasons.Count >= 8, string.Join(", ", reasons));
    }

    [Fact]
    public void TryDecode_EveryTruncationAndAnExtension_IsRefused()
    {
        var (_, encoded) = Sample(fileSize: 9000, chunk: 4096, k: 2, m: 2);
        for (var length = 0; length < encoded.Length; length++)
        {
            Assert.False(ManifestCodec.TryDecode(encoded.AsSpan(0, length), out _, out var error));
            Assert.NotEqual(ManifestError.None, error);
        }

        Assert.False(ManifestCodec.TryDecode([.. encoded, 0], out _, out var trailing));
        Assert.Equal(ManifestError.TrailingBytes, trailing);
    }

    // Each case changes one field and signs again, so the semantic check (not the signature) must catch it.
    [Theory]
    [InlineData("fileSize-huge", ManifestError.FileSizeOutOfRange)]
    [InlineData("fileSize-bigger", ManifestError.StripeCountMismatch)]
    [InlineData("chunk-tiny", ManifestError.ChunkSizeOutOfRange)]
    [InlineData("chunk-huge", ManifestError.ChunkSizeOutOfRange)]
    [InlineData("k-zero", ManifestError.BadCode)]
    [InlineData("m-zero", ManifestError.BadCode)]
    [InlineData("k+m-257", ManifestError.BadCode)]
    [InlineData("shard-too-large", ManifestError.ShardTooLarge)]
    [InlineData("stripes-more", ManifestError.StripeCountMismatch)]
    [InlineData("time-negative", ManifestError.BadTime)]
    [InlineData("name-slash", ManifestError.BadName)]
    [InlineData("name-bad-utf8", ManifestError.BadName)]
    [InlineData("mediatype-space", ManifestError.BadMediaType)]
    public void TryDecode_AFieldOutOfRange_SignedAgain_IsRefusedForThatField(string change, ManifestError expected)
    {
        var (_, encoded) = Sample(fileSize: 20_000, chunk: 8192, k: 2, m: 2, name: "abc", mediaType: "a/b");
        var bytes = encoded.ToArray();
        var nameAt = 62 + 1;
        var mediaAt = nameAt + 3 + 1;
        switch (change)
        {
            case "fileSize-huge": BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(6), (1UL << 40) + 1); break;
            case "fileSize-bigger": BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(6), 30_000); break;
            case "chunk-tiny": BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(14), 100); break;
            case "chunk-huge": BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(14), uint.MaxValue); break;
            case "k-zero": BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(18), 0); break;
            case "m-zero": BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(20), 0); break;
            case "k+m-257": BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(18), 255); break;
            case "shard-too-large":
                BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(18), 1);
                BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(14), 64 << 20);
                break;
            case "stripes-more": BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(mediaAt + 3), 4); break;
            case "time-negative": BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(54), -1); break;
            case "name-slash": bytes[nameAt + 1] = (byte)'/'; break;
            case "name-bad-utf8": bytes[nameAt + 1] = 0xff; break;
            case "mediatype-space": bytes[mediaAt + 1] = (byte)' '; break;
        }

        Assert.False(ManifestCodec.TryDecode(Resign(bytes), out _, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void TryDecode_ASignatureByAnotherKey_IsRefused_AndTheSameBytesSignedByTheKeyTheyName_Pass()
    {
        var (_, encoded) = Sample(fileSize: 5000, chunk: 4096, k: 2, m: 1);
        using var other = NodeIdentity.FromRandom(new Random(42));
        Assert.False(ManifestCodec.TryDecode(Resign(encoded, other), out _, out var error));
        Assert.Equal(ManifestError.BadSignature, error);
        // The same re-signing with the named key passes: the refusal is the signature check, not the re-signing.
        Assert.True(ManifestCodec.TryDecode(Resign(encoded), out _, out error), error.ToString());
    }

    [Fact]
    public void TryDecode_AShardListThatDoesNotMatchTheCode_IsRefused()
    {
        // One stripe's worth of ids fewer than the header's stripe count and code ask for.
        var (manifest, _) = Sample(fileSize: 9000, chunk: 4096, k: 2, m: 2);
        var fewer = ManifestCodec.Encode(manifest);
        var cut = fewer.Take(62 + 2 + 4).Concat(fewer.Skip(62 + 2 + 4 + (4 * ShardId.Size))).ToArray();
        Assert.False(ManifestCodec.TryDecode(Resign(cut), out _, out var error));
        Assert.Contains(error, new[] { ManifestError.ShardListMismatch, ManifestError.BadKey, ManifestError.Truncated });
    }

    internal static (FileManifest Manifest, byte[] Encoded) Sample(long fileSize, int chunk, int k, int m, string? name = null, string? mediaType = null)
    {
        var stripes = (int)ManifestCodec.StripesFor(fileSize, chunk);
        var random = new Random((int)fileSize + k);
        var shards = new ShardId[stripes * (k + m)];
        for (var i = 0; i < shards.Length; i++)
        {
            var id = new byte[ShardId.Size];
            random.NextBytes(id);
            shards[i] = ShardId.FromBytes(id);
        }

        var hash = new byte[32];
        random.NextBytes(hash);
        return ManifestCodec.Sign(Owner, fileSize, chunk, k, m, hash, Now, name, mediaType, shards);
    }

    /// <summary>Signs <paramref name="bytes"/> again as the encoding's rules say (prefix, fields, same signature length).</summary>
    private static byte[] Resign(byte[] bytes, NodeIdentity? signer = null)
    {
        signer ??= Owner;
        var signedLength = bytes.Length - 2 - Owner.SignatureSize;
        var payload = Encoding.ASCII.GetBytes("overlay/file/manifest").Concat(bytes.Take(signedLength)).ToArray();
        var signature = signer.Sign(payload);
        var result = bytes.ToArray();
        signature.CopyTo(result, signedLength + 2);
        return result;
    }
}
