// SPDX-License-Identifier: GPL-2.0
/*
 * Who holds each watched socket, for sockets finwatch did not see being
 * opened: a task_file iterator (5.8, "bpf: Add task and task/file
 * iterator targets") visits every open file of every process in the
 * kernel, where `ss -p` reads every /proc/PID/fd link one syscall at a
 * time. It fills fw_owners_by_inode for the tcp iterator that follows;
 * the first process found holding a socket names it.
 */
#include "common.bpf.h"

#define S_IFMT	 00170000
#define S_IFSOCK 0140000

SEC("iter/task_file")
int fw_iter_task_file(struct bpf_iter__task_file *ctx)
{
	struct file *file = ctx->file;
	struct task_struct *task = ctx->task;
	struct fw_owner owner = {};
	struct socket *sock;
	struct inode *inode;
	__u16 lport, rport;
	__u64 ino;
	struct sock *sk;

	if (!file || !task)
		return 0;
	inode = file->f_inode;
	if (!inode || (inode->i_mode & S_IFMT) != S_IFSOCK)
		return 0;
	/* 5.11, "bpf: Add bpf_sock_from_file helper": a typed socket. */
	sock = bpf_sock_from_file(file);
	if (!sock)
		return 0;
	sk = sock->sk;
	if (!sk || !fw_sock_passes_filter(sk, &lport, &rport))
		return 0;
	ino = inode->i_ino;
	owner.pid = task->tgid;
	bpf_probe_read_kernel_str(owner.comm, sizeof(owner.comm),
				  task->group_leader->comm);
	bpf_map_update_elem(&fw_owners_by_inode, &ino, &owner, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
