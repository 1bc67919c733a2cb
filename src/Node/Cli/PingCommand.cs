using System.Diagnostics;
using System.Globalization;
using Overlay.Crypto;
using Overlay.Node.Hosting;
using Overlay.Transport;

namespace Overlay.Node.Cli;

/// <summary>
/// <c>overlay ping ADDR</c>: dials a node from a short-lived identity, completes the authenticated
/// handshake, and measures round trips of <c>ping/1</c> requests (<see cref="ProtocolIds.Ping"/>).
/// The dialler serves no protocols itself.
/// </summary>
public sealed class PingCommand : ICliCommand
{
    public CommandSpec Spec { get; } = Specs.Of(
        "ping", "Dial a node, prove its identity, and print its PeerId, the transport and the round-trip time.",
        "overlay ping ADDR [--count N] [--timeout SECONDS]   (ADDR: tcp://HOST:PORT[/p2p/PEERID] or quic://...)",
        ["--count", "--timeout", "--data-dir"], minPositionals: 1, maxPositionals: 1);

    public async Task<int> RunAsync(ParsedArguments args, CliContext context, CancellationToken cancellationToken)
    {
        var count = (int)args.PositiveInteger("--count", 3, 1000);
        var timeout = TimeSpan.FromSeconds(args.PositiveInteger("--timeout", 10, 300));
        if (!TransportAddress.TryParse(args.Positionals[0], out var address, out var error))
        {
            throw new CliUsageException(error);
        }

        if (address.Port == 0)
        {
            throw new CliUsageException($"'{address}' has port 0; give the port the node listens on.");
        }

        var options = new TransportOptions { HandshakeTimeout = timeout, RequestTimeout = timeout, BatchWindow = TimeSpan.Zero };
        using var identity = NodeIdentity.Generate();
        await using var transports = TransportSet.Create(identity, new ProtocolDispatcher(), options);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout * (count + 1));
        try
        {
            var started = Stopwatch.GetTimestamp();
            var connection = await transports.DialAsync(address, deadline.Token).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var connectMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                var transport = connection.RemoteAddress.Scheme == TransportScheme.Quic ? "QUIC" : "TCP+TLS";
                await context.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"Connected to {connection.RemotePeer} at {address} over {transport}; handshake {connectMs:F2} ms")).ConfigureAwait(false);

                double min = double.MaxValue, max = 0, total = 0;
                for (var i = 0; i < count; i++)
                {
                    var sent = Stopwatch.GetTimestamp();
                    using (await connection.RequestAsync(ProtocolIds.Ping, ReadOnlyMemory<byte>.Empty, MessagePriority.High, deadline.Token).ConfigureAwait(false))
                    {
                    }

                    var rtt = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                    min = Math.Min(min, rtt);
                    max = Math.Max(max, rtt);
                    total += rtt;
                    await context.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Reply {i + 1} from {connection.RemotePeer.ToShortString()}: time={rtt:F3} ms")).ConfigureAwait(false);
                }

                await context.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{count} replies; round trip min/avg/max = {min:F3}/{total / count:F3}/{max:F3} ms")).ConfigureAwait(false);
                await connection.CloseAsync(deadline.Token).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }
        catch (TransportException e)
        {
            await context.Error.WriteLineAsync($"overlay: ping {address} failed ({e.Reason}): {e.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            await context.Error.WriteLineAsync($"overlay: ping {address} timed out after {timeout.TotalSeconds:F0} s.").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
    }
}
