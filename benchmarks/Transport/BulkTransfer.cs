using Overlay.Transport;

namespace Overlay.Benchmarks.Transport;

/// <summary>One bulk stream as the transport benchmarks send it, answered by <see cref="BenchHandler"/>.</summary>
internal static class BulkTransfer
{
    /// <summary>
    /// Opens a bulk stream, writes <paramref name="total"/> bytes in writes of <paramref name="chunk"/>,
    /// ends it and returns the byte count the receiver answers with once it has read them all.
    /// </summary>
    public static async Task<long> SendAsync(ITransportConnection connection, byte[] chunk, long total)
    {
        await using var stream = await connection.OpenStreamAsync(BenchProtocols.Bulk);
        for (long sent = 0; sent < total; sent += chunk.Length)
        {
            await stream.WriteAsync(chunk);
        }

        await stream.CompleteWritesAsync();
        var answer = new byte[8];
        var got = 0;
        int n;
        while ((n = await stream.ReadAsync(answer.AsMemory(got))) > 0)
        {
            got += n;
        }

        return BitConverter.ToInt64(answer);
    }
}
