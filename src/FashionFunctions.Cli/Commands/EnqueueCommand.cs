using System.ComponentModel;
using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using FashionFunctions.Core.Access;
using FashionFunctions.Core.Budgets;
using FashionFunctions.Core.Jobs;
using FashionFunctions.Core.Modeling;
using FashionFunctions.Core.Storage;
using Spectre.Console.Cli;

namespace FashionFunctions.Cli.Commands;

/// <summary>Creates a training job and puts it on the queue, as POST /api/training-jobs does.</summary>
internal sealed class EnqueueCommand : AsyncCommand<EnqueueCommand.Settings>
{
    public sealed class Settings : StorageSettings
    {
        [CommandOption("--epochs <N>")]
        public int? Epochs { get; init; }

        [CommandOption("--batch-size <N>")]
        public int? BatchSize { get; init; }

        [CommandOption("--learning-rate <RATE>")]
        public double? LearningRate { get; init; }

        [CommandOption("--seed <N>")]
        public long? Seed { get; init; }

        [CommandOption("--no-promote")]
        [Description("Do not make the trained model current.")]
        public bool NoPromote { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var queues = new QueueServiceClient(settings.ConnectionString, TrainingJobQueue.ClientOptions());
        var tables = new TableServiceClient(settings.ConnectionString);
        var jobs = new TableJobStore(tables);
        var service = new TrainingJobService(
            jobs,
            new TrainingJobQueue(queues),
            new JobLifecycleOptions(),
            new TrainingBudget(new BudgetOptions(), jobs, new TableSweepStore(tables)),
            TimeProvider.System);
        var request = new TrainingJobRequest
        {
            Epochs = settings.Epochs,
            BatchSize = settings.BatchSize,
            LearningRate = settings.LearningRate,
            Seed = settings.Seed,
            Promote = !settings.NoPromote,
        };
        var (job, _) = await service.CreateAsync(request, Caller.Local, idempotencyKey: null, cancellationToken); // storage's own key: an admin
        Console.Out.WriteLine(JsonSerializer.Serialize(job, new JsonSerializerOptions(ModelJson.Options) { WriteIndented = false }));
        return 0;
    }
}
