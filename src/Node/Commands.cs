using Overlay.Node.Cli;

namespace Overlay.Node;

/// <summary>Every command of the <c>overlay</c> CLI.</summary>
public static class Commands
{
    public static IEnumerable<ICliCommand> All() =>
    [
        new InitCommand(),
        new RunCommand(),
        new IdCommand(),
        new HashCommand(),
        new VerifyCommand(),
        new PingCommand(),
        new PutCommand(),
        new GetCommand(),
        new PeersCommand(),
        new StatusCommand(),
        new DoctorCommand(),
        new ShardCommand(),
        new StoreCommand(),
        new FetchCommand(),
        new LsCommand(),
        new PinCommand(pin: true),
        new PinCommand(pin: false),
    ];
}
