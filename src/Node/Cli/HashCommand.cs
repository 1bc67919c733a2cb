using System.Buffers;
using Overlay.Crypto;

namespace Overlay.Node.Cli;

/// <summary><c>overlay hash FILE [--length N]</c>: BLAKE3 of a file as lowercase hex, streamed in constant memory.</summary>
public sealed class HashCommand : ICliCommand
{
    /// <summary>Longest output accepted for <c>--length</c>, in bytes.</summary>
    public const int MaxLength = 1 << 20;

    public CommandSpec Spec { get; } = Specs.Of(
        "hash", "Print the BLAKE3 hash of a file (or - for standard input) as lowercase hex.",
        "overlay hash FILE [--length BYTES]", ["--length", "--data-dir"], minPositionals: 1, maxPositionals: 1);

    public async Task<int> RunAsync(ParsedArguments args, CliContext context, CancellationToken cancellationToken)
    {
        var length = (int)args.PositiveInteger("--length", Blake3.HashSize, MaxLength);
        var path = args.Positionals[0];
        var output = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            Stream stream;
            try
            {
                stream = path == "-"
                    ? context.OpenInput()
                    : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan | FileOptions.Asynchronous);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                // ArgumentException: an empty path or one with a NUL character.
                await context.Error.WriteLineAsync($"overlay: cannot read '{ParsedArguments.Shorten(path)}': {e.Message}").ConfigureAwait(false);
                return ExitCodes.Failure;
            }

            await using (stream.ConfigureAwait(false))
            {
                try
                {
                    await Blake3File.HashAsync(stream, output.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                }
                catch (IOException e)
                {
                    await context.Error.WriteLineAsync($"overlay: reading '{path}' failed: {e.Message}").ConfigureAwait(false);
                    return ExitCodes.Failure;
                }
            }

            await context.Output.WriteLineAsync($"{Convert.ToHexStringLower(output.AsSpan(0, length))}  {path}").ConfigureAwait(false);
            return ExitCodes.Success;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(output);
        }
    }
}
