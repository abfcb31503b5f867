namespace FashionFunctions.Core.Modeling;

/// <summary>No model has been trained and promoted yet.</summary>
public sealed class NoCurrentModelException()
    : Exception("No model has been trained yet. Start one with POST /api/training-jobs (or scripts/run.sh), then retry.");
