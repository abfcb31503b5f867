using FashionFunctions.Core.Jobs;
using FashionFunctions.Core.Storage;
using FashionFunctions.Functions.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace FashionFunctions.Functions.Tests;

/// <summary>
/// Workers as child processes killed with SIGKILL in the middle of a job: the job resumes from its last
/// checkpoint in a fresh process, succeeds once, and ends with the weights of a run never interrupted.
/// Times are compressed: heartbeat every second, claims lapse after 3 s.
/// </summary>
[Trait("Category", "Azurite")]
[Trait("Category", "ChildProcess")]
public class WorkerCrashTests(FunctionsApp app) : IClassFixture<FunctionsApp>
{
    private const double HeartbeatSeconds = 1;
    private const double ClaimExpirySeconds = 3;
    // Eight epochs of 20,000 images: about a second and a half from the first checkpoint to the end, the margin a
    // test thread kept waiting by other test classes has to kill the worker mid-job (a timing margin, not a guarantee).
    private const int Epochs = 8;
    private static readonly string Options = $$"""{"epochs": {{Epochs}}, "trainLimit": 20000, "seed": 9}""";

    [Fact]
    public async Task A_worker_killed_after_epoch_k_is_resumed_by_a_fresh_process_from_epoch_k_plus_1_with_identical_weights()
    {
        string id = (await Jobs.CreateAsync(app, Options)).Json.GetProperty("id").GetString()!;
        string message = (await Jobs.ReceiveAsync(app, id)).Body.ToString(); // held, as the host holds an in-flight message

        var killed = await WaitForClaimToLapseAsync(await RunAndKillAfterAnEpochAsync(id, message));
        int k = killed.Epoch;

        using var second = JobWorkerProcess.Run(app.ConnectionString, message, dequeueCount: 2, HeartbeatSeconds, ClaimExpirySeconds);
        string output = await second.WaitForExitAsync(TimeSpan.FromMinutes(3));

        Assert.Contains("outcome: Succeeded", output);
        Assert.Contains($"resuming after epoch {k} from its checkpoint", output);
        var job = await Jobs.RecordAsync(app, id);
        await AssertResumedAsync(job, killed);
    }

    [Fact]
    public async Task The_watchdog_re_enqueues_a_killed_run_and_another_worker_resumes_it()
    {
        string id = (await Jobs.CreateAsync(app, Options)).Json.GetProperty("id").GetString()!;
        string message = (await Jobs.ReceiveAsync(app, id)).Body.ToString(); // stays invisible: only the watchdog can help
        var killed = await WaitForClaimToLapseAsync(await RunAndKillAfterAnEpochAsync(id, message));

        using var worker = JobWorkerProcess.Serve(app.ConnectionString, HeartbeatSeconds, ClaimExpirySeconds);
        var watchdog = new JobWatchdog(app.Get<TableJobStore>(), app.Get<TrainingJobQueue>(),
            new JobLifecycleOptions { ClaimExpiry = TimeSpan.FromSeconds(ClaimExpirySeconds) }, NullLogger<JobWatchdog>.Instance);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        bool requeued = false;
        TrainingJob job;
        while ((job = await Jobs.RecordAsync(app, id)).Status != TrainingJobStatus.Succeeded)
        {
            Assert.True(DateTime.UtcNow < deadline, "the job was not resumed and finished within 3 minutes:\n" + worker.Output);
            requeued |= (await watchdog.RunOnceAsync()).Contains(id); // the timer, its period compressed to a second
            await Task.Delay(1000);
        }

        while (!worker.Output.Contains("outcome: Succeeded", StringComparison.Ordinal)) // the run's last step (checkpoint clean-up) done
        {
            Assert.True(DateTime.UtcNow < deadline, "the worker did not finish its run:\n" + worker.Output);
            await Task.Delay(100);
        }

        Assert.True(requeued);
        Assert.Contains($"resuming after epoch {killed.Epoch} from its checkpoint", worker.Output);
        await AssertResumedAsync(job, killed);
    }

    /// <summary>
    /// A run killed on the AVX2 code path and resumed on this machine's (AVX-512 where the CPU has it) is not
    /// bit-identical to the uninterrupted run, but lands on a model as good: its test accuracy is within four
    /// standard errors of the difference of two accuracies measured on the same N test images,
    /// 4·√(2·p(1−p)/N) — about 0.02 at p ≈ 0.85, N = 10,000. (On an AVX2-only CPU both runs take one path and the
    /// weights are identical.)
    /// </summary>
    [Fact]
    public async Task A_run_killed_on_the_avx2_code_path_resumes_on_another_within_the_accuracy_tolerance()
    {
        string id = (await Jobs.CreateAsync(app, Options)).Json.GetProperty("id").GetString()!;
        string message = (await Jobs.ReceiveAsync(app, id)).Body.ToString();
        var killed = await WaitForClaimToLapseAsync(await RunAndKillAfterAnEpochAsync(id, message, JobWorkerProcess.Avx2CodePath));
        var checkpoint = Core.Training.TrainingCheckpoint.FromBytes((await app.Get<CheckpointStore>().ReadAsync(killed.Checkpoint!))!);
        Assert.Equal("avx2", checkpoint.CodePath);
        using var second = JobWorkerProcess.Run(app.ConnectionString, message, dequeueCount: 2, HeartbeatSeconds, ClaimExpirySeconds);
        string output = await second.WaitForExitAsync(TimeSpan.FromMinutes(3));

        Assert.Contains("outcome: Succeeded", output);
        Assert.Contains($"resuming after epoch {killed.Epoch} from its checkpoint", output);
        var resumed = (await Jobs.ModelAsync(app, (await Jobs.RecordAsync(app, id)).ModelId!)).Manifest;
        var uninterrupted = (await UninterruptedRunAsync()).Manifest;
        const int testImages = 10_000; // the Fashion-MNIST test set
        double p = uninterrupted.TestAccuracy, tolerance = 4 * Math.Sqrt(2 * p * (1 - p) / testImages);
        Assert.InRange(resumed.TestAccuracy, p - tolerance, p + tolerance);
    }

    /// <summary>Starts a worker on the job, SIGKILLs it once an epoch's checkpoint is recorded (before the last
    /// epoch), and returns the record as the dead worker left it.</summary>
    private async Task<TrainingJob> RunAndKillAfterAnEpochAsync(string id, string message, IReadOnlyDictionary<string, string>? environment = null)
    {
        using var first = JobWorkerProcess.Run(app.ConnectionString, message, dequeueCount: 1, HeartbeatSeconds, ClaimExpirySeconds, environment);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while ((await Jobs.RecordAsync(app, id)) is not { Epoch: >= 1, Checkpoint: not null })
        {
            Assert.True(DateTime.UtcNow < deadline, "the worker did not complete an epoch within 3 minutes:\n" + first.Output);
            await Task.Delay(20);
        }

        first.Kill();
        var killed = await Jobs.RecordAsync(app, id);
        Assert.Equal(TrainingJobStatus.Running, killed.Status);
        Assert.InRange(killed.Epoch, 1, Epochs - 1); // killed mid-job, after epoch k
        Assert.Equal(1, killed.Attempts);
        return killed;
    }

    /// <summary>Waits until the killed run's claim has lapsed as a delivery judges it (<see cref="JobLifecycleOptions.ClaimIsLive"/>:
    /// the row's age on the storage service's clock), not by the heartbeat's own stamp: under load the row may be
    /// written well after the heartbeat was stamped, or by a request the killed worker had sent before it died.
    /// Returns the record as the dead run finally left it.</summary>
    private async Task<TrainingJob> WaitForClaimToLapseAsync(TrainingJob killed)
    {
        var lifecycle = new JobLifecycleOptions { ClaimExpiry = TimeSpan.FromSeconds(ClaimExpirySeconds) };
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (true)
        {
            var stored = await app.Get<TableJobStore>().GetAsync(killed.Id) ?? throw new InvalidOperationException($"{killed.Id} is gone.");
            if (!lifecycle.ClaimIsLive(stored))
            {
                Assert.Equal(killed.RunToken, stored.Record.RunToken);
                return stored.Record;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the claim of the killed run was still live a minute later (row unwritten for {stored.Unwritten})");
            await Task.Delay(200);
        }
    }

    private static Task<Core.Modeling.ModelArtifact>? uninterrupted;

    /// <summary>The same job trained in one go (once for the class: both tests compare with it).</summary>
    private Task<Core.Modeling.ModelArtifact> UninterruptedRunAsync()
    {
        lock (typeof(WorkerCrashTests))
        {
            return uninterrupted ??= Task.Run(async () => await Jobs.ModelAsync(app, (await Jobs.TrainAsync(app, Options)).ModelId!));
        }
    }

    private async Task AssertResumedAsync(TrainingJob job, TrainingJob killed)
    {
        Assert.Equal(TrainingJobStatus.Succeeded, job.Status);
        Assert.Equal(2, job.Attempts);
        Assert.Equal(Enumerable.Range(1, Epochs), job.Metrics.Select(m => m.Epoch));
        // Epochs 1..k were not trained again: their metrics (wall times included) are the killed run's.
        Assert.Equal(killed.Metrics.Take(killed.Epoch), job.Metrics.Take(killed.Epoch));
        Assert.Empty(await app.Get<CheckpointStore>().ListAsync(job.Id));

        var expected = (await UninterruptedRunAsync()).Weights.Tensors;
        var resumed = (await Jobs.ModelAsync(app, job.ModelId!)).Weights.Tensors;
        Assert.Equal(expected.Select(t => t.Name), resumed.Select(t => t.Name));
        foreach (var (e, r) in expected.Zip(resumed))
        {
            Assert.True(System.Runtime.InteropServices.MemoryMarshal.AsBytes(e.Values.AsSpan()).SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.AsBytes(r.Values.AsSpan())), $"{e.Name} differs from the uninterrupted run's");
        }
    }
}
