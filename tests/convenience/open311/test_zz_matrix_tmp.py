from tests.api import test_authorization as matrix
from tests.api.test_authorization import demo_actors, test_matrix  # noqa: F401
from tests.convenience.open311.auth_samples import WORKORDER_SAMPLES

matrix.SAMPLES.update({key: matrix.Sample(matrix.Outside[o], b)
                       for key, (o, b) in WORKORDER_SAMPLES.items()})
