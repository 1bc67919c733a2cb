using Overlay.Testing;

namespace Overlay.Storage.Tests;

/// <summary>
/// Every official BLAKE3 vector as a shard id: computed in one shot, and given by the store for a put
/// whose bytes arrive in several segments, then read back through the reader's verifying hash.
/// </summary>
public sealed class ShardIdVectorTests
{
    [Fact]
    public void Compute_OfEachVectorInput_IsTheOfficialHash()
    {
        foreach (var c in Blake3Vectors.Official.Cases)
        {
            Assert.Equal(c.Hash32, ShardId.Compute(Blake3Vectors.Input(c.InputLength)).ToString());
        }
    }

    [Fact]
    public async Task PutInSegments_ThenRead_OfEachVectorInput_IsNamedByTheOfficialHash()
    {
        await using var temp = new TempStore();
        var buffer = new byte[Blake3Vectors.Official.Cases.Max(c => c.InputLength)];
        foreach (var c in Blake3Vectors.Official.Cases)
        {
            var input = Blake3Vectors.Input(c.InputLength);
            var put = await temp.Store.PutAsync(Segments.Of(input, parts: 3), cancellationToken: TestContext.Current.CancellationToken);
            Assert.Equal(c.Hash32, put.Id.ToString());

            var read = temp.Store.Read(put.Id, buffer);
            Assert.Equal(new ShardReadResult(ShardReadStatus.Found, input.Length), read);
            Assert.True(input.AsSpan().SequenceEqual(buffer.AsSpan(0, read.Length)), $"input length {c.InputLength}");
        }
    }
}
