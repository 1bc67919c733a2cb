using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Overlay.Storage;

namespace Overlay.Node.Hosting;

/// <summary>
/// Opens the node's shard store for <see cref="ShardStoreService"/>: the data operations the node's
/// services use and the administration the service's collector uses, normally one object. The daemon
/// opens a <see cref="SqliteShardStore"/> (the default when none is registered); a simulated node
/// passes one that creates an <see cref="Overlay.Storage.InMemory.InMemoryShardStore"/> on its clock.
/// </summary>
/// <exception cref="StorageException">The store cannot be opened (the node then stops before serving).</exception>
public delegate (IShardStore Store, IShardStoreAdministration Administration) ShardStoreOpener(
    StorageOptions options, TimeProvider timeProvider, IMeterFactory meterFactory, ILogger logger);
