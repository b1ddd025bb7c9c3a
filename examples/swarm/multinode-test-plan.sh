#!/usr/bin/env bash
# A reproducible test plan of `serve --engine swarm` on three hosts: what the
# single-machine tests cannot show (no second machine, no registry there).
#
# Needs: three Linux hosts with Docker 20.10+ that reach each other (ports
# 2377/tcp, 7946/tcp+udp, 4789/udp, and 8000/tcp for the API), ssh from the
# machine that runs this script to each as a user in the docker group (with
# sudo for the state directory and for stopping Docker in step 7), and a
# checkout of this repository with Go and Docker on that machine.
#
#   H1=host1 H2=host2 H3=host3 bash examples/swarm/multinode-test-plan.sh
#
# Each step prints what it checks and stops at the first that fails. The
# last step leaves the swarm on every host, so it can be run again.
set -euo pipefail

: "${H1:?host of the first manager}" "${H2:?second host}" "${H3:?third host}"
addr() { ssh "$1" hostname -I | awk '{print $1}'; }
ADDR1=${ADDR1:-$(addr "$H1")}
TOKEN=${TOKEN:-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')}
STATE=/var/lib/orchestrator/state
IMAGE=orchestrator-demo:swarmtest
SVC=orchestrator-demo-swarmtest  # the service of $IMAGE
KEEP=orchestrator-demo-latest    # the service of keep.yaml
API=$ADDR1                       # where serve answers; step 7 moves it

on() { local h=$1; shift; ssh "$h" "$@"; }
step() { printf '\n== %s\n' "$*"; }
api() { curl -sf -H "Authorization: Bearer $TOKEN" "http://$API:8000$1"; }

# wait_for WHAT SECONDS CHECK ARGS...: runs CHECK once a second until it
# succeeds, or fails the plan.
wait_for() {
  local what=$1 secs=$2; shift 2
  for _ in $(seq 1 "$secs"); do
    if "$@" >/dev/null 2>&1; then echo "ok: $what"; return; fi
    sleep 1 # polling a remote swarm, bounded by secs
  done
  echo "FAILED: $what (after ${secs}s)" >&2
  exit 1
}

# Checks, run on a manager ($MGR).
MGR=$H1
running_tasks() { on "$MGR" docker service ps "$1" --filter desired-state=running --format '{{.CurrentState}}' | grep -c '^Running'; }
nodes_of() { on "$MGR" docker service ps "$1" --filter desired-state=running --format '{{.Node}}' | sort -u | wc -l; }
has_tasks() { [ "$(running_tasks "$1")" = "$2" ]; }  # SERVICE N
spread_over() { [ "$(nodes_of "$1")" = "$2" ]; }     # SERVICE N
pinned_to() { # SERVICE HOSTNAME: 6 running tasks, every one on that node
  has_tasks "$1" 6 && [ "$(on "$MGR" docker service ps "$1" --filter desired-state=running --format '{{.Node}}' | sort -u)" = "$2" ]
}
managers_ready() { [ "$(on "$MGR" docker node ls --format '{{.Status}}' | grep -c Ready)" = 3 ]; }
update_completed() { [ "$(on "$MGR" docker service inspect "$1" --format '{{.UpdateStatus.State}}')" = completed ]; }
services_are() { # "NAME NAME ": our services, sorted
  [ "$(on "$MGR" docker service ls --filter label=orchestrator.managed-by=orchestrator --format '{{.Name}}' | sort | tr '\n' ' ')" = "$1" ]
}
tasks_listed() { [ "$(api "/images/$IMAGE/containers" | grep -o '"node"' | wc -l)" = "$1" ]; }
healthy() { api /status | grep -q '"health":"Healthy"'; }

serve_on() { # HOST: the orchestrator image as a container there, on the swarm engine
  on "$1" docker run -d --name orchestrator --restart unless-stopped -e ORCHESTRATOR_TOKEN="$TOKEN" -p 8000:8000 \
    -v /var/run/docker.sock:/var/run/docker.sock -v "$STATE:$STATE" orchestrator:latest \
    serve --engine swarm --dir "$STATE" --addr 0.0.0.0:8000
}

step "1. images on every host (no registry: built here, loaded there)"
make demo-image image
for h in "$H1" "$H2" "$H3"; do
  docker save orchestrator-demo:latest orchestrator:latest | on "$h" docker load
  on "$h" docker tag orchestrator-demo:latest "$IMAGE"
done

step "2. a swarm of three managers"
on "$H1" docker swarm init --advertise-addr "$ADDR1"
JOIN=$(on "$H1" docker swarm join-token -q manager)
for h in "$H2" "$H3"; do on "$h" docker swarm join --token "$JOIN" "$ADDR1:2377"; done
wait_for "3 managers ready" 60 managers_ready

step "3. serve on the first manager, from a state directory there"
on "$H1" "sudo mkdir -p $STATE && sudo chown \$(id -u) $STATE"
printf 'image: %s\nmin_replicas: 6\nmax_replicas: 6\nports: {"8080/tcp": 0}\nresources: {cpu: 100m, memory: 64m}\n' \
  "$IMAGE" | on "$H1" "cat > $STATE/web.yaml"
# A second spec: deleting the first later must not empty the directory (an
# empty directory prunes nothing without --allow-empty).
printf 'image: orchestrator-demo:latest\nresources: {cpu: 50m, memory: 32m}\n' | on "$H1" "cat > $STATE/keep.yaml"
serve_on "$H1"
wait_for "6 running tasks" 120 has_tasks "$SVC" 6
wait_for "tasks spread over 3 nodes" 30 spread_over "$SVC" 3
wait_for "GET /images/$IMAGE/containers lists 6 tasks with their node" 30 tasks_listed 6

step "4. the routing mesh: the published port answers on every node"
PORT=$(on "$H1" docker service inspect "$SVC" --format '{{(index .Endpoint.Ports 0).PublishedPort}}')
for h in "$H1" "$H2" "$H3"; do
  wait_for "$h:$PORT answers" 30 curl -sf "http://$(addr "$h"):$PORT/healthz"
done

step "5. an edit rolls the tasks start-first, one at a time"
on "$H1" "printf 'env: {VERSION: two}\n' >> $STATE/web.yaml"
wait_for "the service updated (UpdateStatus completed)" 180 update_completed "$SVC"
wait_for "status Healthy after the update" 60 healthy

step "6. a node drained: Swarm moves its tasks; the spec stays at 6"
NODE3=$(on "$H3" docker info --format '{{.Swarm.NodeID}}')
on "$H1" docker node update --availability drain "$NODE3"
wait_for "6 running tasks on 2 nodes" 120 spread_over "$SVC" 2
wait_for "still 6 running tasks" 60 has_tasks "$SVC" 6
on "$H1" docker node update --availability active "$NODE3"

step "6b. placement pins the tasks to a labelled node; a task on another node has its logs served"
on "$H1" docker node update --label-add orchestrator-test=pinned "$NODE3"
on "$H1" "printf 'placement: {constraints: [node.labels.orchestrator-test==pinned]}\n' >> $STATE/web.yaml"
wait_for "6 running tasks, all on the labelled node" 180 pinned_to "$SVC" "$(on "$H3" hostname)"
TASK=$(api "/images/$IMAGE/containers" | grep -o '"container_id":"[0-9a-f]*"' | head -1 | cut -d'"' -f4)
wait_for "GET /containers/$TASK/logs (a task on $H3) answers" 30 api "/containers/$TASK/logs?tail=5"
on "$H1" "sed -i '/^placement:/d' $STATE/web.yaml"
on "$H1" docker node update --label-rm orchestrator-test "$NODE3"
wait_for "unpinned: tasks spread over 3 nodes again" 180 spread_over "$SVC" 3

step "7. the manager that runs serve is lost: the services run on; serve on another manager adopts them"
on "$H1" docker rm -f orchestrator
on "$H1" "tar -C $STATE -cf - ." | on "$H2" "sudo mkdir -p $STATE && sudo chown \$(id -u) $STATE && tar -C $STATE -xf -"
on "$H1" sudo systemctl stop docker # the first manager is gone; two managers keep the quorum
MGR=$H2 API=$(addr "$H2")
wait_for "6 running tasks without the first manager" 120 has_tasks "$SVC" 6
serve_on "$H2"
wait_for "the same two services, none twice, under the new serve" 60 services_are "$KEEP $SVC "
on "$H1" sudo systemctl start docker

step "8. the file deleted: its service is removed, the other stays"
on "$H2" rm "$STATE/web.yaml"
wait_for "only keep's service left" 60 services_are "$KEEP "

step "9. clean up"
on "$H2" docker rm -f orchestrator
on "$H2" "docker service ls --filter label=orchestrator.managed-by=orchestrator -q | xargs -r docker service rm"
for h in "$H3" "$H2" "$H1"; do on "$h" docker swarm leave --force || true; done
echo "all steps passed"
