using System.Globalization;
using System.Text.Json;
using FashionFunctions.AppServer.TestHost;
using FashionFunctions.Functions.Hosting;
using FashionFunctions.Testing;

// app-server <storage-connection-string>
//   serves the app's HTTP functions on a loopback port with the warm-up on, as the app runs by default; prints
//   "listening <base address>" once the warm-up has finished (so that what it loaded is in the process), and stops
//   when its standard input closes.
// app-server <storage-connection-string> train <epochs>
//   runs one job through the app (HTTP submit, queue-triggered function) with the app's default checkpoint interval,
//   prints "epochs [seconds, ...]" from the job's record and exits: the benchmark builds this Debug, as func start
//   builds the app, and compares its epochs with the Release CLI's.
if (args is [var jobConnection, "train", var epochsText])
{
    await using var app = await FashionFunctions.Testing.AppServer.StartAsync(jobConnection, new Dictionary<string, string?> { ["FashionFunctions:CheckpointIntervalSeconds"] = "10" });
    var seconds = await OneJobThroughTheApp.TrainAsync(app, jobConnection, int.Parse(epochsText, CultureInfo.InvariantCulture));
    Console.WriteLine($"epochs {JsonSerializer.Serialize(seconds)}");
    return 0;
}

if (args.Length != 1)
{
    Console.Error.WriteLine("usage: app-server <storage-connection-string> [train <epochs>]");
    return 2;
}

await using var server = await FashionFunctions.Testing.AppServer.StartAsync(args[0], new Dictionary<string, string?> { ["FashionFunctions:WarmUpOnStart"] = "true" });
await server.Get<ModelWarmUp>().Completion;
Console.WriteLine($"listening {server.BaseAddress}");
await Console.In.ReadToEndAsync();
return 0;
