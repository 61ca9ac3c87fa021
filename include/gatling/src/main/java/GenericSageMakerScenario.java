// In the default package on purpose: perfsizesagemaker runs `-s GenericSageMakerScenario`, the
// unqualified class name of intuit's sagemaker-gatling simulation.
public class GenericSageMakerScenario extends sagemakersizing.gatling.SageMakerSimulation {}
