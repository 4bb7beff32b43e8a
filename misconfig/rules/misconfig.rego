# The entry points Go evaluates: every rule's metadata, and every result. A result's target
# says which input it is about: its index points into input.objects (kubernetes) or
# input.dockerfiles (dockerfile).
package hallmark.misconfig

import data.hallmark.misconfig.dockerfile
import data.hallmark.misconfig.kubernetes

rules := object.union(kubernetes.rules, dockerfile.rules)

results := kubernetes.deny | dockerfile.deny
